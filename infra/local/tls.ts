import fs from 'node:fs';
import path from 'node:path';
import { requireExecutable } from './executables';
import { run } from './processes';

/** PEM files of a throwaway certificate authority, a loopback server and a client. */
export interface TestPki {
  /** the CA certificate (what clients and the broker trust) */
  caFile: string;
  /** server: unencrypted PKCS#8 key followed by its certificate and the CA (a Kafka PEM keystore) */
  serverKeystoreFile: string;
  /** client certificate (extendedKeyUsage clientAuth) and its unencrypted PKCS#8 key, for mutual TLS */
  clientCertFile: string;
  clientKeyFile: string;
}

/**
 * Generates a CA valid for a day and, signed by it, a server certificate for 127.0.0.1 and
 * localhost and a client certificate, with the openssl command line (RSA 2048, SHA-256).
 */
export async function createTestPki(dir: string): Promise<TestPki> {
  const openssl = requireExecutable('openssl', 'install OpenSSL: `apt-get install -y openssl`');
  fs.mkdirSync(dir, { recursive: true });
  const file = (name: string) => path.join(dir, name);
  const openSsl = async (...args: string[]) => {
    const { code, output } = await run(openssl, args, { cwd: dir });
    if (code !== 0) throw new Error(`openssl ${args[0]} failed (exit ${code}):\n${output}`);
  };
  const newKey = ['-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '1'];
  await openSsl(
    'req',
    '-x509',
    ...newKey,
    '-keyout',
    file('ca.key'),
    '-out',
    file('ca.pem'),
    '-subj',
    '/CN=Flywheel test CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  );
  const signed = (name: string, subject: string, ...extensions: string[]) =>
    openSsl(
      'req',
      '-x509',
      ...newKey,
      '-CA',
      file('ca.pem'),
      '-CAkey',
      file('ca.key'),
      '-keyout',
      file(`${name}.key`),
      '-out',
      file(`${name}.pem`),
      '-subj',
      subject,
      ...extensions.flatMap((e) => ['-addext', e]),
    );
  await signed(
    'server',
    '/CN=127.0.0.1',
    'subjectAltName=IP:127.0.0.1,DNS:localhost',
    'extendedKeyUsage=serverAuth',
    'basicConstraints=critical,CA:FALSE',
  );
  await signed(
    'client',
    '/CN=flywheel-client',
    'extendedKeyUsage=clientAuth',
    'basicConstraints=critical,CA:FALSE',
  );
  const serverKeystoreFile = file('server-keystore.pem');
  fs.writeFileSync(
    serverKeystoreFile,
    ['server.key', 'server.pem', 'ca.pem'].map((f) => fs.readFileSync(file(f), 'utf8')).join(''),
    { mode: 0o600 },
  );
  fs.rmSync(file('ca.key'));
  return {
    caFile: file('ca.pem'),
    serverKeystoreFile,
    clientCertFile: file('client.pem'),
    clientKeyFile: file('client.key'),
  };
}
