// Debug log: `NODE_DEBUG=uplift node app.js` prints one line per upload start and end.
// Every line goes through redact(): no token, API key or URL signature ever appears.
import { debuglog } from 'util';
import { redact } from './redact';

const log = debuglog('uplift');

export function debugEnabled(): boolean {
  return log.enabled;
}

export function debug(message: string): void {
  if (log.enabled) log('%s', redact(message));
}
