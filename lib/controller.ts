// UploadController: pause and resume running uploads, and cap their bandwidth, from outside
// the call. Pass it as the `controller` option of any upload (several uploads may share one).
import { native, type NativeControl } from './native';
import { checkBandwidth } from './engine';
import { invalid, isPlainObject, checkKnownKeys, checkBoolean } from './validate';

export interface UploadControllerOptions {
  /** Cap for the uploads of this controller together, in bytes per second. */
  maxBytesPerSecond?: number | null;
  /** Start paused (uploads connect but send no body byte until resume()). */
  paused?: boolean;
}

export class UploadController {
  #native: NativeControl;

  constructor(options: UploadControllerOptions = {}) {
    if (!isPlainObject(options)) throw invalid('options', 'an options object { maxBytesPerSecond?, paused? }', options);
    checkKnownKeys('options', options, ['maxBytesPerSecond', 'paused']);
    this.#native = native().createControl();
    if (options.maxBytesPerSecond !== undefined) this.setBandwidth(options.maxBytesPerSecond as number | null, 'options.maxBytesPerSecond');
    if (options.paused !== undefined && checkBoolean('options.paused', options.paused)) this.pause();
  }

  /**
   * Holds the body bytes of every upload of this controller: parts already stored stay
   * stored, connections stay open, and no stall or overall timeout runs while paused.
   */
  pause(): void {
    this.#native.pause();
  }

  /** Carries on where pause() stopped. */
  resume(): void {
    this.#native.resume();
  }

  get paused(): boolean {
    return this.#native.paused();
  }

  /** Caps the uploads of this controller together (bytes per second); null removes the cap. */
  setBandwidth(bytesPerSecond: number | null, field = 'bytesPerSecond'): void {
    this.#native.setBandwidth(checkBandwidth(field, bytesPerSecond) ?? 0);
  }

  /** @internal */
  nativeControl(): NativeControl {
    return this.#native;
  }
}

export function isUploadController(v: unknown): v is UploadController {
  return v instanceof UploadController;
}
