import { createRequire } from 'node:module';
import type Ssh2 from 'ssh2';

const load = createRequire(import.meta.url);

/**
 * The ssh2 library, loaded when first needed: it brings about 15 MB of WebAssembly crypto
 * with it, which a bot without SSH fleet actions should not carry.
 */
export function ssh2(): typeof Ssh2 {
  return load('ssh2') as typeof Ssh2;
}
