// Helpers shared by the end-to-end tests: free ports, waiting for a listener, and the real
// servers a test starts on loopback (an SMTP server that keeps what it receives, a
// database engine).
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export async function freePort() {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

export async function waitListening(port, what = 'server') {
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise((r) => {
      const c = connect(port, '127.0.0.1', () => { c.end(); r(true); });
      c.on('error', () => r(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`${what} not listening on ${port}`);
}

/** aiosmtpd writing a Maildir: `{ port, newDir, stop() }`. */
export async function smtpSink() {
  const dir = mkdtempSync(join(tmpdir(), 'eventhub-smtp-'));
  const port = await freePort();
  const proc = spawn(process.env.EVENTHUB_SMTP_PYTHON || '/usr/bin/python3',
    ['-m', 'aiosmtpd', '-n', '-l', `127.0.0.1:${port}`, '-c', 'aiosmtpd.handlers.Mailbox', join(dir, 'maildir')],
    { stdio: 'ignore' });
  await waitListening(port, 'SMTP sink');
  return { port, newDir: join(dir, 'maildir', 'new'), dir, stop: () => proc.kill() };
}

/** A throw-away secantusd-rs engine: `{ uri, stop() }` (database `eventhub` in the URI). */
export async function engine() {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'eventhub-engine-'));
  const proc = spawn('secantusd-rs', ['--host', '127.0.0.1', '--port', String(port), '--storage-path', dir, '--cache-size', '128M', '--sync-on-commit'], { stdio: 'ignore' });
  try {
    await waitListening(port, 'database engine');
  } catch (e) {
    proc.kill();
    throw e;
  }
  return { uri: `mongodb://127.0.0.1:${port}/eventhub`, stop: () => proc.kill() };
}
