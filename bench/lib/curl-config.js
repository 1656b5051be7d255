// curl CLI config files (-K) for the curl contender: the same part URLs as the other clients,
// or one form POST per file with `next` between them. Transfers run with --parallel on the
// command line, so connections are reused across transfers.
'use strict';
const fs = require('fs');

const q = (s) => `"${String(s).replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

function common(caFile) {
  return ['silent', 'show-error', 'fail', ...(caFile ? [`cacert = ${q(caFile)}`] : [])];
}

/** Config uploading each part file to its URL (`partUrl` with {n}). */
function partsConfig(file, partFiles, partUrl, caFile) {
  const lines = [...common(caFile)];
  partFiles.forEach((p, i) => {
    lines.push(`upload-file = ${q(p)}`, `url = ${q(partUrl.replace('{n}', String(i + 1)))}`, 'output = "/dev/null"');
  });
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
}

/** Config posting each small file as a multipart form (fields first, then the file). */
function formsConfig(file, files, url, keyPrefix, fields, caFile) {
  const blocks = files.map((f) => {
    const name = f.slice(f.lastIndexOf('/') + 1);
    return [
      ...common(caFile),
      `url = ${q(url)}`,
      'output = "/dev/null"',
      `form-string = ${q(`key=${keyPrefix}${name}`)}`,
      ...Object.entries(fields).map(([k, v]) => `form-string = ${q(`${k}=${v}`)}`),
      `form = ${q(`file=@${f};type=audio/wav`)}`,
    ].join('\n');
  });
  fs.writeFileSync(file, `${blocks.join('\nnext\n')}\n`);
}

module.exports = { partsConfig, formsConfig };
