// NOOP (RFC 1939 §5): nothing, positively.
import { okLine } from '../proto/response.js';
import type { Pop3Handler } from '../session-api.js';

export const handleNoop: Pop3Handler = async () => ({ out: okLine('') });
