// The CA certificates an Engine trusts, handed to libcurl in memory (never a path it would
// look up itself), so TLS verifies the same way as Node's `https` even in a container
// without `ca-certificates`.
//   caStore 'node' (default): Node's bundled roots (tls.rootCertificates) plus the file
//                             named by NODE_EXTRA_CA_CERTS, as Node's own https trusts.
//   caStore 'system':         the operating system's CA bundle file (SSL_CERT_FILE, else
//                             the first of the usual distribution paths).
//   ca:                       PEM certificates that replace the store (as tls `ca`).
//   caFile:                   a PEM bundle added to whichever of the above applies.
import * as fs from 'fs';
import * as tls from 'tls';
import { InvalidArgumentError } from './errors';

export type CaStore = 'node' | 'system';

/** Where distributions keep the system CA bundle (Debian/Ubuntu/Alpine, RHEL/Fedora/Amazon Linux, SUSE, others). */
export const SYSTEM_CA_FILES = [
  '/etc/ssl/certs/ca-certificates.crt',
  '/etc/pki/tls/certs/ca-bundle.crt',
  '/etc/ssl/ca-bundle.pem',
  '/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem',
  '/etc/ssl/cert.pem',
];

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

let nodeStore: string | undefined;

/** Node's default trust: bundled roots plus NODE_EXTRA_CA_CERTS (read once, as Node does). */
export function nodeCaPem(): string {
  if (nodeStore !== undefined) return nodeStore;
  const certs = [...tls.rootCertificates];
  const extra = process.env.NODE_EXTRA_CA_CERTS;
  if (extra) {
    try {
      certs.push(...(fs.readFileSync(extra, 'latin1').match(PEM_CERT) ?? []));
    } catch {
      // Node itself warned at startup ("Ignoring extra certs from ...") and goes on without them.
    }
  }
  nodeStore = certs.join('\n') + '\n';
  return nodeStore;
}

function readPemFile(field: string, file: string): string {
  let text: string;
  try {
    text = fs.readFileSync(file, 'latin1');
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new InvalidArgumentError(`${field}: cannot read the CA bundle ${file} (${reason}); pass the path of a readable PEM file`, {
      field,
      received: file,
    });
  }
  const certs = text.match(PEM_CERT);
  if (!certs) {
    throw new InvalidArgumentError(`${field}: ${file} holds no PEM certificate (-----BEGIN CERTIFICATE-----); pass a PEM bundle`, {
      field,
      received: file,
    });
  }
  return certs.join('\n') + '\n';
}

function systemCaPem(): string {
  const env = process.env.SSL_CERT_FILE;
  if (env) return readPemFile('SSL_CERT_FILE', env);
  const found = SYSTEM_CA_FILES.find((f) => fs.existsSync(f));
  if (!found) {
    throw new InvalidArgumentError(
      `options.caStore is 'system' but no system CA bundle was found (looked in ${SYSTEM_CA_FILES.join(', ')}); ` +
        "install ca-certificates, set SSL_CERT_FILE, or use caStore: 'node'",
      { field: 'options.caStore', received: "'system'" },
    );
  }
  return readPemFile('options.caStore', found);
}

function caOptionPem(ca: unknown): string {
  const items = Array.isArray(ca) ? ca : [ca];
  const out: string[] = [];
  items.forEach((item, i) => {
    const field = Array.isArray(ca) ? `options.ca[${i}]` : 'options.ca';
    if (typeof item !== 'string' && !(item instanceof Uint8Array)) {
      throw new InvalidArgumentError(`Expected a PEM string or Buffer for ${field}`, { field, received: typeof item });
    }
    const text = typeof item === 'string' ? item : Buffer.from(item).toString('latin1');
    const certs = text.match(PEM_CERT);
    if (!certs) {
      throw new InvalidArgumentError(`${field} holds no PEM certificate (-----BEGIN CERTIFICATE-----); pass PEM text`, {
        field,
        received: `${text.length} characters`,
      });
    }
    out.push(...certs);
  });
  return out.join('\n') + '\n';
}

/** The PEM text the engine trusts for these options. */
export function trustedCaPem(opts: { caStore?: unknown; ca?: unknown; caFile?: string }): string {
  if (opts.caStore !== undefined && opts.caStore !== 'node' && opts.caStore !== 'system') {
    throw new InvalidArgumentError(`Expected 'node' or 'system' for options.caStore`, {
      field: 'options.caStore',
      received: typeof opts.caStore === 'string' ? `'${opts.caStore}'` : typeof opts.caStore,
    });
  }
  if (opts.ca !== undefined && opts.caStore !== undefined) {
    throw new InvalidArgumentError('options.ca replaces the CA store; pass either ca or caStore, not both', {
      field: 'options.ca',
      received: 'ca and caStore',
    });
  }
  let pem = opts.ca !== undefined ? caOptionPem(opts.ca) : opts.caStore === 'system' ? systemCaPem() : nodeCaPem();
  if (opts.caFile !== undefined) pem += readPemFile('options.caFile', opts.caFile);
  return pem;
}
