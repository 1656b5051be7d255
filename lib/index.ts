// uplift: uploads to transcription vendors' presigned-URL flows from a native libcurl engine.
export { Engine, getDefaultEngine } from './engine';
export { UploadController } from './controller';
export type { UploadControllerOptions } from './controller';
export { CHANNELS as diagnosticsChannels } from './diagnostics';
export type { UploadStartMessage, PartDoneMessage, RetryMessage, UploadEndMessage, UploadErrorMessage } from './diagnostics';
export type { EngineOptions, RetryOptions, TimeoutOptions } from './engine';
export type { CaStore } from './trust';
export { putPresigned, postPresignedForm, uploadPresignedParts } from './primitives';
export type {
  Source, UrlSource, UploadCommonOptions, PutPresignedOptions, PutPresignedResult, PostPresignedFormOptions,
  PostPresignedFormResult, PresignedPart, UploadPresignedPartsOptions, UploadPresignedPartsResult,
} from './primitives';
export * from './errors';
export type { Progress } from './validate';
export { inferContentType } from './content-type';
export { redact, redactUrl } from './redact';
export * as eka from './vendors/eka';
export * as kore from './vendors/kore';
export * as plaud from './vendors/plaud';
export * as scripe from './vendors/scripe';
export * as heify from './vendors/heify';
export type { JournalOption, JournalStore } from './journal';
export type { CallOptions, VendorUploadOptions } from './vendors/common';
