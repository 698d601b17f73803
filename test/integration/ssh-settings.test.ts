/**
 * The bot's SSH settings at start-up, through the whole bot: the key and the known_hosts
 * file are read once, so what is wrong with them is said once.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { expect, it, onTestFinished } from 'vitest';
import { startTestBot } from '../support/bot.js';
import { FakeSlack } from '../support/fake-slack.js';
import { waitFor } from '../support/wait.js';

const ED25519 = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINQFWonR3toPTJ7LnmlGA6k/XlAdZI+W3psDhrxdqDI2';
const PROBLEM = 'line 2: the ssh-ed25519 key is not base64';

it('logs a skipped known_hosts line once', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'chatops-ssh-settings-'));
  const slack = await FakeSlack.start();
  onTestFinished(async () => {
    await slack.close();
    await rm(dir, { recursive: true, force: true });
  });
  const keyFile = join(dir, 'id_ed25519');
  await writeFile(keyFile, ssh2.utils.generateKeyPairSync('ed25519').private, { mode: 0o600 });
  const knownHostsFile = join(dir, 'known_hosts');
  await writeFile(knownHostsFile, `web-1 ${ED25519}\nweb-2 ssh-ed25519 ???\n`);

  const bot = await startTestBot({ slack, env: { SSH_PRIVATE_KEY_FILE: keyFile, SSH_KNOWN_HOSTS_FILE: knownHostsFile } });
  onTestFinished(() => bot.stop());

  const mentions = () => bot.logs.filter((line) => JSON.stringify(line).includes(PROBLEM));
  await waitFor(() => mentions().length > 0, { message: 'the skipped known_hosts line was never logged' });
  expect(mentions()).toEqual([expect.objectContaining({ level: 'warn', msg: 'known_hosts line skipped', file: knownHostsFile, problem: PROBLEM })]);
});
