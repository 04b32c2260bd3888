// Reads OAuthAspire's audit stream as an independent stream consumer with amqplib, prints one line
// per event and checks each hash chain link: an event's prevhash is the SHA-256 (base64url) of the
// previous event of its chain, over the exact bytes of the message body.
//
//   node consume.mjs amqp://auditor:PASSWORD@localhost:56720/ [--from first|next|OFFSET] [--idle SECONDS]
//
// The last line is a JSON summary: {"read", "linked", "broken", "brokenSources", "types", "sources"}.
import { createHash } from 'node:crypto';
import amqp from 'amqplib';

const [url, ...rest] = process.argv.slice(2);
const option = (name, fallback) => {
  const i = rest.indexOf(name);
  return i >= 0 ? rest[i + 1] : fallback;
};
const from = option('--from', 'first');
const idleMs = Number(option('--idle', '3')) * 1000;
const stream = option('--stream', 'oauthaspire.audit');

const connection = await amqp.connect(url);
const channel = await connection.createChannel();
// A stream consumer must set a prefetch and acknowledge: that is its flow control.
await channel.prefetch(200);

const heads = new Map(); // chain -> { position, hash }
const summary = { read: 0, linked: 0, broken: 0, brokenSources: new Set(), types: new Set(), sources: new Set() };
let idle;
const done = new Promise((resolve) => {
  const rearm = () => { clearTimeout(idle); idle = setTimeout(resolve, idleMs); };
  rearm();
  channel.consume(stream, (message) => {
    rearm();
    const bytes = message.content;
    const event = JSON.parse(bytes.toString('utf8'));
    summary.read++;
    if (message.properties.contentType !== 'application/cloudevents+json' || event.specversion !== '1.0') {
      channel.ack(message);
      return;
    }
    summary.types.add(event.type);
    summary.sources.add(event.source);
    const hash = createHash('sha256').update(bytes).digest('base64url');
    if (event.chain) {
      const position = Number(event.chainpos);
      const head = heads.get(event.chain);
      if (head && head.position === position - 1) {
        if (head.hash === event.prevhash) summary.linked++; else { summary.broken++; summary.brokenSources.add(event.source); }
      }
      if (!head || position > head.position) heads.set(event.chain, { position, hash });
    }
    console.log(`${event.time} ${event.source} ${event.type} ${event.subject ?? '-'} ${event.data.outcome}`);
    channel.ack(message);
  }, { noAck: false, arguments: { 'x-stream-offset': /^\d+$/.test(from) ? Number(from) : from } });
});

await done;
await channel.close();
await connection.close();
console.log(JSON.stringify({
  ...summary, brokenSources: [...summary.brokenSources].sort(), types: [...summary.types].sort(), sources: [...summary.sources].sort(),
}));
