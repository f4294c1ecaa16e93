/**
 * A real SMTP server for tests (`smtp-server`, the server half of nodemailer's project) on a free loopback port:
 * it speaks the protocol (EHLO, AUTH PLAIN/LOGIN, MAIL, RCPT, DATA), checks credentials when given, and keeps every
 * message byte for byte as it arrived after DATA. `failNext` scripts the replies of the next messages
 * (a 4xx is a temporary failure a client retries, a 5xx a refusal).
 */
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

/** One message the server accepted. */
export interface ReceivedMail {
  /** Envelope sender (MAIL FROM). */
  readonly from: string;
  /** Envelope recipients (RCPT TO). */
  readonly to: readonly string[];
  /** The message as sent after DATA (headers and body, CRLF line ends), dot-unstuffed. */
  readonly raw: string;
  /** The user that authenticated, if any. */
  readonly user?: string;
}

/** A running test SMTP server. */
export interface SmtpStandIn {
  /** `smtp://user:pass@127.0.0.1:port` (no credentials when the server was started without them). */
  readonly url: string;
  readonly port: number;
  /** Messages accepted, in order. */
  readonly received: ReceivedMail[];
  /** The next `times` messages are answered with this SMTP reply code (e.g. 451, 550) at DATA. */
  failNext(code: number, times?: number): void;
  close(): Promise<void>;
}

/**
 * Starts the server. STARTTLS is not offered (a loopback test has no certificate to check); authentication is
 * required when `auth` is given.
 */
export async function startSmtpServer(
  options: { readonly auth?: { readonly user: string; readonly pass: string } } = {},
): Promise<SmtpStandIn> {
  const received: ReceivedMail[] = [];
  const failures: number[] = [];
  const { auth } = options;
  const server = new SMTPServer({
    disabledCommands: auth ? ['STARTTLS'] : ['STARTTLS', 'AUTH'],
    authOptional: !auth,
    allowInsecureAuth: true,
    logger: false,
    onAuth(a, _session, cb) {
      if (auth && a.username === auth.user && a.password === auth.pass) cb(null, { user: a.username });
      else cb(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const code = failures.shift();
        if (code !== undefined) {
          cb(Object.assign(new Error(code >= 500 ? 'Message refused' : 'Try again later'), { responseCode: code }));
          return;
        }
        received.push({
          from: session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address,
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
          ...(typeof session.user === 'string' && { user: session.user }),
        });
        cb();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = ((server as unknown as { server: { address(): AddressInfo } }).server.address() as AddressInfo).port;
  const cred = auth ? `${encodeURIComponent(auth.user)}:${encodeURIComponent(auth.pass)}@` : '';
  return {
    url: `smtp://${cred}127.0.0.1:${port}`,
    port,
    received,
    failNext(code, times = 1) {
      for (let i = 0; i < times; i++) failures.push(code);
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
