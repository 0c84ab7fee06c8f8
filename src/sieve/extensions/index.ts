/** The built-in extension list, in registration order. */
import type { Extension } from '../extension.js';
import { bodyExtension } from './body.js';
import { coreExtension, markerExtensions } from './core.js';
import { dateExtension } from './date.js';
import { duplicateExtension } from './duplicate.js';
import { editheaderExtension } from './editheader.js';
import { enotifyExtension } from './enotify.js';
import { envelopeExtension } from './envelope.js';
import { environmentExtension } from './environment.js';
import { fileintoExtension } from './fileinto.js';
import { ihaveExtension } from './ihave.js';
import { imap4flagsExtension } from './imap4flags.js';
import { includeExtension } from './include.js';
import { mailboxExtension } from './mailbox.js';
import { extracttextExtension, foreverypartExtension, mimeExtension } from './mime.js';
import { erejectExtension, rejectExtension } from './reject.js';
import { specialUseExtension } from './special-use.js';
import { spamtestExtension, spamtestplusExtension, virustestExtension } from './spamtest.js';
import { vacationExtension, vacationSecondsExtension } from './vacation.js';
import { variablesExtension } from './variables.js';

export const BUILTIN_EXTENSIONS: readonly Extension[] = [
  coreExtension,
  ...markerExtensions,
  fileintoExtension,
  rejectExtension,
  erejectExtension,
  envelopeExtension,
  variablesExtension,
  bodyExtension,
  imap4flagsExtension,
  vacationExtension,
  vacationSecondsExtension,
  editheaderExtension,
  dateExtension,
  mailboxExtension,
  duplicateExtension,
  includeExtension,
  enotifyExtension,
  environmentExtension,
  ihaveExtension,
  mimeExtension,
  foreverypartExtension,
  extracttextExtension,
  spamtestExtension,
  spamtestplusExtension,
  virustestExtension,
  specialUseExtension,
];
