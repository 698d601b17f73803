import { createHmac, generateKeyPairSync, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { KnownHosts, blobKeyType, fingerprintSha256, knownHostName } from '../../src/fleet/ssh-known-hosts.js';

// Made with `ssh-keygen -t ed25519` / `-t rsa -b 1024`; fingerprints as `ssh-keygen -l` printed them.
const ED25519 = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINQFWonR3toPTJ7LnmlGA6k/XlAdZI+W3psDhrxdqDI2';
const ED25519_FP = 'SHA256:SO9sZ9j3Hp/Zk71WXwVhL95QzjLRuHG8cYz+yZko36g';
const RSA =
  'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQCuHt/11olcTlcQ2nrJNuc4tsf1nns5cMthFe3T+UzSQeYkXUrkXTECOHLlL+4mq23UP060XB0h3z0ppdJzcGhlmXLdwxAcTDeH3nOJkdvIDOQnYagOpR9En+IDaA+irnM4xW/iOIfhFoQFgUsL696ColwLIshNPi9oZ5yGrx/osw==';
const RSA_FP = 'SHA256:NiYM4Z4uz9Mu9Z4VCnLMQX3gmP56+bd8jK4pKKO5AAU';
// `ssh-keygen -H` of "web-1.example.com <ED25519>" and "[10.0.0.5]:2222 <ED25519>".
const HASHED_WEB1 = `|1|LHF3Gt0SyBB5pDZEWg/Tx4mG7eg=|Ht6lYV18emMpeIOuXq/dVeeWAj8= ${ED25519}`;
const HASHED_10_0_0_5_2222 = `|1|n5r+6DuWvUSiSHqx/9eLO5gAtu0=|W+099PoYaHimS4XPygosq5ZPaKc= ${ED25519}`;

const blob = (line: string) => Buffer.from(line.split(' ')[1] ?? '', 'base64');

/** A fresh ed25519 public key, "ssh-ed25519 <base64>", as a host would present it. */
function freshEd25519(): string {
  const { publicKey } = generateKeyPairSync('ed25519');
  const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x ?? '', 'base64url');
  const type = Buffer.from('ssh-ed25519');
  const wire = Buffer.concat([u32(type.length), type, u32(raw.length), raw]);
  return `ssh-ed25519 ${wire.toString('base64')}`;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

describe('fingerprints and names', () => {
  it('prints SHA256 fingerprints exactly as ssh-keygen -l does', () => {
    expect(fingerprintSha256(blob(ED25519))).toBe(ED25519_FP);
    expect(fingerprintSha256(blob(RSA))).toBe(RSA_FP);
  });

  it('reads the key type from the key blob', () => {
    expect(blobKeyType(blob(ED25519))).toBe('ssh-ed25519');
    expect(blobKeyType(blob(RSA))).toBe('ssh-rsa');
    expect(blobKeyType(Buffer.from([0, 0]))).toBeUndefined();
  });

  it('names a host as OpenSSH does: bare on port 22, [host]:port otherwise, lower case', () => {
    expect(knownHostName('Web-1.Example.com', 22)).toBe('web-1.example.com');
    expect(knownHostName('10.0.0.5', 2222)).toBe('[10.0.0.5]:2222');
  });
});

describe('KnownHosts.verify', () => {
  it('accepts the listed key for a plain host name on port 22, case-insensitively', () => {
    const kh = KnownHosts.parse(`# fleet\n\nweb-1.example.com ${ED25519}\n`);
    expect(kh.verify('WEB-1.example.com', 22, blob(ED25519))).toEqual({
      ok: true,
      keyType: 'ssh-ed25519',
      fingerprint: ED25519_FP,
      line: 3,
    });
  });

  it('needs [host]:port for any other port', () => {
    const kh = KnownHosts.parse(`web-1 ${ED25519}\n[web-2]:2222 ${ED25519}\n`);
    expect(kh.verify('web-1', 2222, blob(ED25519))).toMatchObject({ ok: false, reason: 'unknown' });
    expect(kh.verify('web-2', 2222, blob(ED25519))).toMatchObject({ ok: true });
    expect(kh.verify('web-2', 22, blob(ED25519))).toMatchObject({ ok: false, reason: 'unknown' });
  });

  it('refuses an unknown host, naming host, port and fingerprint and saying what to do', () => {
    const kh = KnownHosts.parse(`web-1 ${ED25519}\n`);
    const verdict = kh.verify('db-1.example.com', 2200, blob(RSA));
    expect(verdict).toMatchObject({ ok: false, reason: 'unknown', keyType: 'ssh-rsa', fingerprint: RSA_FP });
    if (verdict.ok) throw new Error('unreachable');
    expect(verdict.message).toContain('db-1.example.com port 2200');
    expect(verdict.message).toContain(`ssh-rsa key ${RSA_FP}`);
    expect(verdict.message).toMatch(/nothing was run/);
    expect(verdict.message).toMatch(/add the host's line to the known_hosts file/);
    expect(verdict.message).toContain('ssh-keyscan -p 2200 db-1.example.com');
  });

  it('refuses a changed key, listing the expected fingerprint and line', () => {
    const kh = KnownHosts.parse(`# comment\nweb-1 ${ED25519}\n`);
    const presented = freshEd25519();
    const verdict = kh.verify('web-1', 22, blob(presented));
    expect(verdict).toMatchObject({ ok: false, reason: 'mismatch', fingerprint: fingerprintSha256(blob(presented)) });
    if (verdict.ok) throw new Error('unreachable');
    expect(verdict.message).toMatch(/^HOST KEY MISMATCH for web-1 port 22/);
    expect(verdict.message).toContain(fingerprintSha256(blob(presented)));
    expect(verdict.message).toContain(`ssh-ed25519 ${ED25519_FP} (line 2)`);
    expect(verdict.message).toMatch(/replace the host's line in the known_hosts file/);
  });

  it('accepts any of several keys listed for a host', () => {
    const kh = KnownHosts.parse(`web-1 ${RSA}\nweb-1 ${ED25519}\n`);
    expect(kh.verify('web-1', 22, blob(ED25519))).toMatchObject({ ok: true, line: 2 });
    expect(kh.verify('web-1', 22, blob(RSA))).toMatchObject({ ok: true, line: 1 });
  });

  it('matches hashed names written by ssh-keygen -H', () => {
    const kh = KnownHosts.parse(`${HASHED_WEB1}\n${HASHED_10_0_0_5_2222}\n`);
    expect(kh.verify('web-1.example.com', 22, blob(ED25519))).toMatchObject({ ok: true, line: 1 });
    expect(kh.verify('10.0.0.5', 2222, blob(ED25519))).toMatchObject({ ok: true, line: 2 });
    expect(kh.verify('10.0.0.5', 22, blob(ED25519))).toMatchObject({ ok: false, reason: 'unknown' });
    expect(kh.verify('web-2.example.com', 22, blob(ED25519))).toMatchObject({ ok: false, reason: 'unknown' });
    expect(kh.verify('web-1.example.com', 22, blob(RSA))).toMatchObject({ ok: false, reason: 'mismatch' });
  });

  it('matches a hashed name made here with HMAC-SHA1 of the salt', () => {
    const salt = randomBytes(20);
    const hash = createHmac('sha1', salt).update('[web-9]:2022').digest();
    const kh = KnownHosts.parse(`|1|${salt.toString('base64')}|${hash.toString('base64')} ${RSA}`);
    expect(kh.verify('web-9', 2022, blob(RSA))).toMatchObject({ ok: true });
    expect(kh.verify('web-9', 22, blob(RSA))).toMatchObject({ ok: false, reason: 'unknown' });
  });

  it('supports comma-separated names, * and ? wildcards and ! negation', () => {
    const kh = KnownHosts.parse(`web-1,web-2,10.0.0.7 ${ED25519}\n!web-db.example.com,web-*.example.com,db-?.example.com ${RSA}\n`);
    expect(kh.verify('web-2', 22, blob(ED25519))).toMatchObject({ ok: true });
    expect(kh.verify('10.0.0.7', 22, blob(ED25519))).toMatchObject({ ok: true });
    expect(kh.verify('web-17.example.com', 22, blob(RSA))).toMatchObject({ ok: true });
    expect(kh.verify('db-3.example.com', 22, blob(RSA))).toMatchObject({ ok: true });
    expect(kh.verify('db-33.example.com', 22, blob(RSA))).toMatchObject({ ok: false, reason: 'unknown' });
    expect(kh.verify('web-db.example.com', 22, blob(RSA))).toMatchObject({ ok: false, reason: 'unknown' });
    // A dot in a pattern is a dot, not "any character".
    expect(kh.verify('10x0x0x7', 22, blob(ED25519))).toMatchObject({ ok: false, reason: 'unknown' });
  });

  it('refuses a key marked @revoked even when it is also listed', () => {
    const kh = KnownHosts.parse(`web-1 ${ED25519}\n@revoked * ${ED25519}\n`);
    const verdict = kh.verify('web-1', 22, blob(ED25519));
    expect(verdict).toMatchObject({ ok: false, reason: 'revoked', fingerprint: ED25519_FP });
    if (verdict.ok) throw new Error('unreachable');
    expect(verdict.message).toContain('@revoked');
    expect(verdict.message).toContain('line 2');
  });

  it('does not trust @cert-authority lines (host certificates are not supported), and says so', () => {
    const kh = KnownHosts.parse(`@cert-authority *.example.com ${ED25519}\n`);
    const verdict = kh.verify('web-1.example.com', 22, blob(ED25519));
    expect(verdict).toMatchObject({ ok: false, reason: 'unknown' });
    if (verdict.ok) throw new Error('unreachable');
    expect(verdict.message).toMatch(/@cert-authority lines, are not supported/);
  });

  it('skips malformed lines and says which, keeping the others', () => {
    const kh = KnownHosts.parse(
      [
        `web-1 ${ED25519}`,
        'web-2 ssh-ed25519',
        'web-3 ssh-ed25519 not!base64',
        `web-4 ssh-rsa ${ED25519.split(' ')[1]}`,
        `@bogus web-5 ${ED25519}`,
        `|1|c2FsdA==|aGFzaA== ${ED25519}`,
        `|2|x|y ${ED25519}`,
      ].join('\n'),
    );
    expect(kh.size).toBe(1);
    expect(kh.problems).toEqual([
      'line 2: expected "hostnames key-type base64-key"',
      'line 3: the ssh-ed25519 key is not base64',
      'line 4: the key is of type ssh-ed25519 but the line says ssh-rsa',
      'line 5: unknown marker @bogus (expected @revoked or @cert-authority)',
      'line 6: malformed hashed host name (salt and hash are 20 bytes)',
      'line 7: unsupported hashed host name (expected |1|salt|hash)',
    ]);
    expect(kh.verify('web-1', 22, blob(ED25519))).toMatchObject({ ok: true });
  });

  it('accepts Windows line endings and a trailing comment', () => {
    const kh = KnownHosts.parse(`web-1 ${ED25519} root@web-1\r\nweb-2 ${RSA}\r\n`);
    expect(kh.size).toBe(2);
    expect(kh.verify('web-2', 22, blob(RSA))).toMatchObject({ ok: true });
  });
});

describe('KnownHosts.hostKeyAlgorithms', () => {
  it('offers only the algorithms of the keys listed for the host', () => {
    const kh = KnownHosts.parse(`web-1 ${RSA}\nweb-2 ${ED25519}\nweb-2 ${RSA}\n@revoked web-3 ${ED25519}\n`);
    expect(kh.hostKeyAlgorithms('web-1', 22)).toEqual(['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']);
    expect(kh.hostKeyAlgorithms('web-2', 22)).toEqual(['ssh-ed25519', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']);
    expect(kh.hostKeyAlgorithms('web-3', 22)).toBeUndefined();
    expect(kh.hostKeyAlgorithms('web-9', 22)).toBeUndefined();
  });

  it('lists the keys of a host', () => {
    const kh = KnownHosts.parse(`web-1 ${RSA}\nweb-1 ${ED25519}\n`);
    expect(kh.keysFor('web-1', 22)).toEqual([
      { keyType: 'ssh-rsa', fingerprint: RSA_FP, line: 1 },
      { keyType: 'ssh-ed25519', fingerprint: ED25519_FP, line: 2 },
    ]);
  });
});
