/**
 * Unit cases of the sandbox's fault rules and request log (shared by the S3 peer and the
 * vendor emulators): matching, use counts, order, expiry cut-off, filters.
 */
import { Faults, describeFault } from '../../lib/sandbox/faults';
import { RequestLog, type LogEntry } from '../../lib/sandbox/log';

describe('Faults', () => {
  test('a rule matches target, op, partNumber and pathIncludes, and is used `times` times', () => {
    const f = new Faults();
    f.add({ target: 's3', op: 'UploadPart', partNumber: 2, pathIncludes: '/b/', times: 2, action: { status: 503 } });
    expect(f.take('kore', 'UploadPart', '/b/k', 2)).toBeUndefined();
    expect(f.take('s3', 'PutObject', '/b/k', 2)).toBeUndefined();
    expect(f.take('s3', 'UploadPart', '/b/k', 1)).toBeUndefined();
    expect(f.take('s3', 'UploadPart', '/c/k', 2)).toBeUndefined();
    expect(f.take('s3', 'UploadPart', '/b/k', 2)).toEqual({ status: 503 });
    expect(f.pending()).toEqual([expect.objectContaining({ times: 1 })]);
    expect(f.take('s3', 'UploadPart', '/b/k', 2)).toEqual({ status: 503 });
    expect(f.take('s3', 'UploadPart', '/b/k', 2)).toBeUndefined();
    expect(f.pending()).toEqual([]);
  });

  test('rules apply in the order added; default times is 1; bad times is refused', () => {
    const f = new Faults();
    f.add({ target: 'eka', action: { stallMs: 10 } });
    f.add({ target: 'eka', action: { malformedJson: true } });
    expect(f.take('eka', 'presign', '/v1')).toEqual({ stallMs: 10 });
    expect(f.take('eka', 'upload', '/v1')).toEqual({ malformedJson: true });
    expect(f.take('eka', 'upload', '/v1')).toBeUndefined();
    expect(() => f.add({ target: 's3', times: 0, action: { status: 500 } })).toThrow(RangeError);
  });

  test('expireUrlsNow sets a cut-off at now; clear() drops rules and cut-off', () => {
    const f = new Faults();
    expect(f.expiredBefore()).toBe(0);
    const t0 = Date.now();
    f.expireUrlsNow();
    expect(f.expiredBefore()).toBeGreaterThanOrEqual(t0);
    expect(f.expiredBefore()).toBeLessThanOrEqual(Date.now());
    f.add({ target: 's3', action: { resetAfterBytes: 5 } });
    f.clear();
    expect([f.expiredBefore(), f.pending()]).toEqual([0, []]);
  });

  test('describeFault names each action', () => {
    expect(describeFault({ status: 503, code: 'SlowDown' })).toBe('status 503 SlowDown');
    expect(describeFault({ resetAfterBytes: 10 })).toBe('reset after 10 bytes');
    expect(describeFault({ stallMs: 5 })).toBe('stall 5 ms');
    expect(describeFault({ malformedJson: true })).toBe('malformed json');
  });
});

describe('RequestLog', () => {
  const e = (over: Partial<LogEntry>): LogEntry => ({ time: 1, target: 's3', op: 'PutObject', method: 'PUT', path: '/b/k', status: 200, bytesIn: 3, ...over });

  test('entries() filters on every given field and returns copies in order', () => {
    const log = new RequestLog();
    log.add(e({}));
    log.add(e({ op: 'UploadPart', partNumber: 1 }));
    log.add(e({ op: 'UploadPart', partNumber: 2, status: 503 }));
    log.add(e({ target: 'plaud', op: 'complete', method: 'POST' }));
    expect(log.entries().length).toBe(4);
    expect(log.entries({ op: 'UploadPart' }).map((x) => x.partNumber)).toEqual([1, 2]);
    expect(log.entries({ op: 'UploadPart', status: 200 }).map((x) => x.partNumber)).toEqual([1]);
    expect(log.entries({ target: 'plaud', method: 'POST' })).toHaveLength(1);
    log.entries()[0].status = 999;
    expect(log.entries()[0].status).toBe(200);
    log.clear();
    expect(log.entries()).toEqual([]);
  });
});
