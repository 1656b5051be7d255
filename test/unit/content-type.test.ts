/** Unit tests of lib/content-type.ts: extension parsing and the extension -> content type table. */

import { extensionOf, inferContentType, knownContentTypes } from '../../lib/content-type';

describe('extensionOf', () => {
  test.each([
    ['a.mp3', 'mp3'],
    ['A.MP3', 'mp3'],
    ['/x/y/rec.final.WaV', 'wav'],
    ['C:\\Users\\me\\clip.M4a', 'm4a'],
    ['relative/dir.d/noext', ''],
    ['.bashrc', ''],
    ['/home/u/.mp3', ''],
    ['trailingdot.', ''],
    ['', ''],
    ['dir.with.dots/file', ''],
    ['archive.tar.gz', 'gz'],
  ])('%s -> %s', (name, ext) => {
    expect(extensionOf(name)).toBe(ext);
  });
});

describe('inferContentType', () => {
  test.each([
    ['mp3', 'audio/mpeg'],
    ['mpga', 'audio/mpeg'],
    ['mpeg', 'audio/mpeg'],
    ['wav', 'audio/wav'],
    ['m4a', 'audio/mp4'],
    ['mp4', 'video/mp4'],
    ['webm', 'audio/webm'],
    ['ogg', 'audio/ogg'],
    ['oga', 'audio/ogg'],
    ['opus', 'audio/opus'],
    ['flac', 'audio/flac'],
    ['aac', 'audio/aac'],
    ['amr', 'audio/amr'],
    ['3gp', 'video/3gpp'],
    ['mov', 'video/quicktime'],
    ['mpg', 'video/mpeg'],
    ['pdf', 'application/pdf'],
    ['txt', 'text/plain'],
    ['md', 'text/markdown'],
    ['html', 'text/html'],
    ['docx', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'],
    ['png', 'image/png'],
    ['jpg', 'image/jpeg'],
    ['jpeg', 'image/jpeg'],
    ['webp', 'image/webp'],
    ['gif', 'image/gif'],
  ])('.%s -> %s', (ext, type) => {
    expect(inferContentType(`/data/recording.${ext}`)).toBe(type);
    expect(inferContentType(`RECORDING.${ext.toUpperCase()}`)).toBe(type);
  });

  test('unknown, missing or non-string input gives undefined', () => {
    expect(inferContentType('file.xyz')).toBeUndefined();
    expect(inferContentType('noext')).toBeUndefined();
    expect(inferContentType('file.constructor')).toBeUndefined();
    expect(inferContentType('file.__proto__')).toBeUndefined();
    expect(inferContentType(undefined as unknown as string)).toBeUndefined();
  });

  test('every type the Scripe allow-list names for audio, video, documents and images is reachable', () => {
    const values = new Set(Object.values(knownContentTypes()));
    for (const t of ['audio/mpeg', 'audio/wav', 'audio/mp4', 'video/mp4', 'video/quicktime', 'application/pdf', 'text/plain',
      'text/markdown', 'text/html', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', 'image/png', 'image/jpeg']) {
      expect(values.has(t)).toBe(true);
    }
  });

  test('knownContentTypes returns a copy', () => {
    const t = knownContentTypes();
    t.mp3 = 'changed/type';
    expect(inferContentType('a.mp3')).toBe('audio/mpeg');
  });
});
