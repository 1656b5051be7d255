/**
 * Request log of the sandbox: every emulated server (the S3 peer and the vendor
 * emulators) appends one entry per request it answers (or drops, for injected resets).
 * Held in memory only; owned by whoever created it (startSandbox or a test).
 */

export interface LogEntry {
  /** ms since the Unix epoch when the request was answered */
  time: number;
  /** 's3' | 'eka' | 'kore' | 'plaud' | 'scripe' | 'heify' */
  target: string;
  /**
   * S3: 'PutObject', 'PostObject', 'GetObject', 'HeadObject', 'DeleteObject',
   * 'CreateMultipartUpload', 'UploadPart', 'CompleteMultipartUpload',
   * 'AbortMultipartUpload', 'ListParts', 'CreateBucket', 'HeadBucket', 'ListObjectsV2',
   * 'Unknown'; vendors choose theirs (e.g. 'presign', 'chunk', 'complete', 'upload').
   */
  op: string;
  method: string;
  /** request path without the query string (never carries a signature) */
  path: string;
  /** status answered; 0 when the socket was destroyed without an answer */
  status: number;
  /** request body bytes read by the server */
  bytesIn: number;
  partNumber?: number;
  /** description of the injected fault that shaped this answer, if any */
  fault?: string;
  /** vendor requests: the request's Content-Type header, when it had one */
  contentType?: string;
  /** S3 GetObject: the request's Range header, when it had one */
  range?: string;
}

export type LogFilter = Partial<Pick<LogEntry, 'target' | 'op' | 'method' | 'status' | 'partNumber'>>;

export class RequestLog {
  private readonly list: LogEntry[] = [];

  add(e: LogEntry): void {
    this.list.push({ ...e });
  }

  /** Copies of the entries in arrival order, keeping those whose given fields all match `filter`. */
  entries(filter?: LogFilter): LogEntry[] {
    const keys = filter ? (Object.keys(filter) as (keyof LogFilter)[]) : [];
    return this.list
      .filter((e) => keys.every((k) => filter?.[k] === undefined || e[k] === filter[k]))
      .map((e) => ({ ...e }));
  }

  clear(): void {
    this.list.length = 0;
  }
}
