// How Sieve's own messages (vacation replies, notifications) leave: through the outbound queue by
// default; tests and other hosts may pass their own.
import type { Core } from '../context.js';
import { enqueue, type EnqueueInput } from '../queue/enqueue.js';

export type SendMail = (core: Core, input: EnqueueInput) => Promise<unknown>;

export const sendThroughQueue: SendMail = (core, input) => enqueue(core, input);
