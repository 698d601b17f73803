import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * known_hosts, read the way OpenSSH reads it (sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT"):
 *
 *   [@marker] hostnames keytype base64-key [comment]
 *
 * - hostnames: comma-separated patterns (`*` and `?` wildcards, `!` negates), matched
 *   case-insensitively against `host` for port 22 and `[host]:port` for any other port;
 *   or one hashed name `|1|base64(salt)|base64(HMAC-SHA1(salt, name))`.
 * - @revoked: that key is refused for the hosts the line matches, whatever else is listed.
 * - @cert-authority: host certificates are not supported; such lines never vouch for a key.
 *
 * There is no trust on first use: a host with no line, or whose key is not on one of its
 * lines, is refused. Pure code, no I/O: the caller reads the file.
 */

export type HostKeyVerdict =
  | { ok: true; keyType: string; fingerprint: string; line: number }
  | {
      ok: false;
      reason: 'unknown' | 'mismatch' | 'revoked';
      keyType: string;
      fingerprint: string;
      /** A sentence naming host, port and fingerprint, and what to do about it. */
      message: string;
    };

interface KnownHostLine {
  line: number;
  marker: 'revoked' | 'cert-authority' | undefined;
  matches: (name: string) => boolean;
  keyType: string;
  key: Buffer;
}

/** A key listed for a host: its type, SHA256 fingerprint and line number. */
export interface ListedKey {
  keyType: string;
  fingerprint: string;
  line: number;
}

/** Host key algorithms ssh2 can negotiate, by the key type written in known_hosts. */
const ALGORITHMS_BY_KEY_TYPE: Record<string, readonly string[]> = {
  'ssh-ed25519': ['ssh-ed25519'],
  'ecdsa-sha2-nistp256': ['ecdsa-sha2-nistp256'],
  'ecdsa-sha2-nistp384': ['ecdsa-sha2-nistp384'],
  'ecdsa-sha2-nistp521': ['ecdsa-sha2-nistp521'],
  'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'],
  'ssh-dss': ['ssh-dss'],
};

export class KnownHosts {
  private constructor(
    private readonly lines: readonly KnownHostLine[],
    /** One sentence per line that was skipped ("line 3: …"), for a start-up warning. */
    readonly problems: readonly string[],
  ) {}

  static parse(text: string): KnownHosts {
    const lines: KnownHostLine[] = [];
    const problems: string[] = [];
    text.split(/\r?\n/).forEach((raw, index) => {
      const lineNo = index + 1;
      const parsed = parseLine(raw.trim(), lineNo);
      if (parsed === undefined) return;
      if (typeof parsed === 'string') problems.push(`line ${lineNo}: ${parsed}`);
      else lines.push(parsed);
    });
    return new KnownHosts(lines, problems);
  }

  /** How many usable lines (keys) the file holds. */
  get size(): number {
    return this.lines.length;
  }

  /** The keys listed for this host and port (not revoked ones, not certificate authorities). */
  keysFor(host: string, port: number): ListedKey[] {
    const name = knownHostName(host, port);
    return this.lines
      .filter((l) => l.marker === undefined && l.matches(name))
      .map((l) => ({ keyType: l.keyType, fingerprint: fingerprintSha256(l.key), line: l.line }));
  }

  /**
   * The host key algorithms to offer when connecting to this host: only those of its
   * listed keys, so that a host listed with its RSA key is not asked for its ed25519
   * key (which would then be refused as unknown). Undefined when nothing usable is
   * listed: the connection then offers the defaults and the key is refused.
   */
  hostKeyAlgorithms(host: string, port: number): string[] | undefined {
    const algorithms = new Set<string>();
    for (const { keyType } of this.keysFor(host, port)) {
      for (const algorithm of ALGORITHMS_BY_KEY_TYPE[keyType] ?? []) algorithms.add(algorithm);
    }
    return algorithms.size ? [...algorithms] : undefined;
  }

  /** Checks the key blob a server presented (SSH wire format) for this host and port. */
  verify(host: string, port: number, presented: Buffer): HostKeyVerdict {
    const name = knownHostName(host, port);
    const keyType = blobKeyType(presented) ?? 'unknown-key-type';
    const fingerprint = fingerprintSha256(presented);
    const where = `${host} port ${port}`;
    const matching = this.lines.filter((l) => l.matches(name));

    const revoked = matching.find((l) => l.marker === 'revoked' && sameKey(l.key, presented));
    if (revoked) {
      return {
        ok: false,
        reason: 'revoked',
        keyType,
        fingerprint,
        message:
          `Host key of ${where} is marked @revoked in the known_hosts file (line ${revoked.line}): ` +
          `the server presented ${keyType} key ${fingerprint}. Refused; nothing was run. ` +
          'The host must get a new host key, listed in the known_hosts file.',
      };
    }

    const listed = matching.filter((l) => l.marker === undefined);
    const trusted = listed.find((l) => sameKey(l.key, presented));
    if (trusted) return { ok: true, keyType, fingerprint, line: trusted.line };

    if (listed.length === 0) {
      const ca = matching.some((l) => l.marker === 'cert-authority')
        ? ' (host certificates, @cert-authority lines, are not supported: list the host key itself)'
        : '';
      return {
        ok: false,
        reason: 'unknown',
        keyType,
        fingerprint,
        message:
          `Host ${where} is not in the known_hosts file${ca}: the server presented ${keyType} key ${fingerprint}. ` +
          'Refused; nothing was run. If that is the right key (compare it with `ssh-keygen -lf` of the ' +
          `host's key, run on the host), add the host's line to the known_hosts file ` +
          `(SSH_KNOWN_HOSTS_FILE, read at start-up; \`ssh-keyscan -p ${port} ${host}\` prints the line).`,
      };
    }

    const expected = listed.map((l) => `${l.keyType} ${fingerprintSha256(l.key)} (line ${l.line})`).join(', ');
    return {
      ok: false,
      reason: 'mismatch',
      keyType,
      fingerprint,
      message:
        `HOST KEY MISMATCH for ${where}: the server presented ${keyType} key ${fingerprint}, ` +
        `but the known_hosts file lists ${expected}. Refused; nothing was run. Someone may be ` +
        'intercepting the connection, or the host was rebuilt: confirm the new key with the ' +
        "host's owner, then replace the host's line in the known_hosts file (SSH_KNOWN_HOSTS_FILE).",
    };
  }
}

/** The name a host is listed under: `host` on port 22, `[host]:port` on any other. */
export function knownHostName(host: string, port: number): string {
  const lower = host.toLowerCase();
  return port === 22 ? lower : `[${lower}]:${port}`;
}

/** `SHA256:` and the unpadded base64 SHA-256 of the key blob, as `ssh-keygen -l` prints it. */
export function fingerprintSha256(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** The key type named at the start of an SSH wire-format key blob, or undefined. */
export function blobKeyType(blob: Buffer): string | undefined {
  if (blob.length < 4) return undefined;
  const length = blob.readUInt32BE(0);
  if (length === 0 || length > 64 || blob.length < 4 + length) return undefined;
  return blob.subarray(4, 4 + length).toString('latin1');
}

/** A parsed line, undefined for a blank line or comment, or a string saying why it is skipped. */
function parseLine(line: string, lineNo: number): KnownHostLine | string | undefined {
  if (line === '' || line.startsWith('#')) return undefined;
  const fields = line.split(/\s+/);
  let marker: KnownHostLine['marker'];
  if (fields[0]?.startsWith('@')) {
    const name = fields.shift();
    if (name === '@revoked') marker = 'revoked';
    else if (name === '@cert-authority') marker = 'cert-authority';
    else return `unknown marker ${name} (expected @revoked or @cert-authority)`;
  }
  const [hostnames, keyType, base64] = fields;
  if (!hostnames || !keyType || !base64) {
    return 'expected "hostnames key-type base64-key"';
  }
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) return `the ${keyType} key is not base64`;
  const key = Buffer.from(base64, 'base64');
  const inner = blobKeyType(key);
  if (inner !== keyType) {
    return `the key is of type ${inner ?? '(unreadable)'} but the line says ${keyType}`;
  }
  const matches = hostnames.startsWith('|') ? hashedMatcher(hostnames) : patternMatcher(hostnames);
  if (typeof matches === 'string') return matches;
  return { line: lineNo, marker, matches, keyType, key };
}

/** `|1|salt|hash`: HMAC-SHA1 of the host name, keyed with the salt. */
function hashedMatcher(field: string): ((name: string) => boolean) | string {
  const parts = field.split('|');
  if (parts.length !== 4 || parts[1] !== '1' || !parts[2] || !parts[3]) {
    return 'unsupported hashed host name (expected |1|salt|hash)';
  }
  const salt = Buffer.from(parts[2], 'base64');
  const hash = Buffer.from(parts[3], 'base64');
  if (salt.length !== 20 || hash.length !== 20) return 'malformed hashed host name (salt and hash are 20 bytes)';
  return (name) => timingSafeEqual(createHmac('sha1', salt).update(name).digest(), hash);
}

/** A comma-separated pattern list: matches if some pattern matches and no negated one does. */
function patternMatcher(field: string): (name: string) => boolean {
  const positive: RegExp[] = [];
  const negative: RegExp[] = [];
  for (const pattern of field.split(',')) {
    if (!pattern) continue;
    if (pattern.startsWith('!')) negative.push(globToRegExp(pattern.slice(1)));
    else positive.push(globToRegExp(pattern));
  }
  return (name) => !negative.some((re) => re.test(name)) && positive.some((re) => re.test(name));
}

function globToRegExp(glob: string): RegExp {
  const body = [...glob.toLowerCase()].map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&'))).join('');
  return new RegExp(`^${body}$`, 's');
}

function sameKey(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
