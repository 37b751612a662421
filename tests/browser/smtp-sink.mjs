// An SMTP server for the browser tests (smtp-server from npm): every message the platform sends is
// written to $MAIL_DIR as <n>.eml. Listens on 127.0.0.1:$SMTP_PORT; no authentication, no TLS.
import { SMTPServer } from 'smtp-server';
import fs from 'node:fs';
import path from 'node:path';

const dir = process.env.MAIL_DIR;
const port = Number(process.env.SMTP_PORT);
fs.mkdirSync(dir, { recursive: true });
let n = 0;
const server = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS', 'AUTH'],
  size: 1 << 20,
  onData(stream, session, done) {
    const chunks = [];
    stream.on('data', (c) => chunks.push(c));
    stream.on('end', () => {
      const to = session.envelope.rcptTo.map((r) => r.address).join(',');
      fs.writeFileSync(path.join(dir, `${++n}.eml`), `X-Envelope-To: ${to}\r\n${Buffer.concat(chunks)}`);
      done();
    });
  },
});
server.listen(port, '127.0.0.1', () => console.log(`smtp sink on ${port}`));
