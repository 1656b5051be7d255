/**
 * Content types inferred from file extensions, for sources whose content type is optional.
 *
 * Decisions: containers that may hold video default to their video type (`.mp4` video/mp4,
 * `.3gp` video/3gpp, `.mov` video/quicktime, `.mpg` video/mpeg), except `.mpeg`, which the
 * transcription vendors list as an audio format beside `.mpga`: `.mpeg` is audio/mpeg.
 * `.m4a` is audio/mp4, `.webm` audio/webm, `.opus` audio/opus. Unknown -> undefined.
 */

const TYPES: Readonly<Record<string, string>> = {
  // audio
  mp3: 'audio/mpeg',
  mpga: 'audio/mpeg',
  mpeg: 'audio/mpeg',
  wav: 'audio/wav',
  m4a: 'audio/mp4',
  webm: 'audio/webm',
  weba: 'audio/webm',
  ogg: 'audio/ogg',
  oga: 'audio/ogg',
  opus: 'audio/opus',
  flac: 'audio/flac',
  aac: 'audio/aac',
  amr: 'audio/amr',
  aif: 'audio/aiff',
  aiff: 'audio/aiff',
  wma: 'audio/x-ms-wma',
  // video
  mp4: 'video/mp4',
  m4v: 'video/mp4',
  '3gp': 'video/3gpp',
  mov: 'video/quicktime',
  mpg: 'video/mpeg',
  mkv: 'video/x-matroska',
  // documents
  pdf: 'application/pdf',
  txt: 'text/plain',
  md: 'text/markdown',
  markdown: 'text/markdown',
  html: 'text/html',
  htm: 'text/html',
  json: 'application/json',
  csv: 'text/csv',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  // images
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
  gif: 'image/gif',
};

/**
 * Lowercased extension of a file name or path, without the dot; '' when there is none.
 * Both '/' and '\' separate directories; a leading dot (".env") is not an extension.
 */
export function extensionOf(name: string): string {
  const base = name.slice(Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\')) + 1);
  const dot = base.lastIndexOf('.');
  if (dot <= 0 || dot === base.length - 1) return '';
  return base.slice(dot + 1).toLowerCase();
}

/** Content type for `nameOrPath`'s extension (case-insensitive), or undefined when unknown. */
export function inferContentType(nameOrPath: string): string | undefined {
  if (typeof nameOrPath !== 'string') return undefined;
  const ext = extensionOf(nameOrPath);
  return Object.prototype.hasOwnProperty.call(TYPES, ext) ? TYPES[ext] : undefined;
}

/** Every extension `inferContentType` knows, with its type (a copy). */
export function knownContentTypes(): Record<string, string> {
  return { ...TYPES };
}
