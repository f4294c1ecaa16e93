import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** PEM files of a throwaway CA and a server certificate it signed for 127.0.0.1 (tests only). */
export interface TestCertificates {
  /** The CA's certificate: what a client trusts. */
  readonly caFile: string;
  /** The server's PKCS#8 private key, then its certificate: a Kafka PEM keystore. */
  readonly keystoreFile: string;
}

function openssl(args: string[], cwd: string): void {
  const r = spawnSync('openssl', args, { cwd, encoding: 'utf8' });
  if (r.error || r.status !== 0)
    throw new Error(`openssl ${args[0]} failed (install openssl): ${r.error?.message ?? r.stderr.slice(-1000)}`);
}

/** Makes a CA and a server certificate for `127.0.0.1` (and `localhost`) in `dir` with the `openssl` command. */
export function makeTestCertificates(dir: string): TestCertificates {
  openssl(
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=sluice-test-ca'],
    dir,
  );
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1'], dir);
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  openssl(
    [
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      'server.pem',
      '-days',
      '2',
      '-extfile',
      'san.ext',
    ],
    dir,
  );
  const keystoreFile = join(dir, 'keystore.pem');
  writeFileSync(keystoreFile, readFileSync(join(dir, 'server.key'), 'utf8') + readFileSync(join(dir, 'server.pem'), 'utf8'));
  return { caFile: join(dir, 'ca.pem'), keystoreFile };
}
