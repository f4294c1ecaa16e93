/**
 * `npm run kafka -- fetch|start`: fetch the pinned broker jars, or run a throwaway single-node broker
 * in the foreground (Ctrl-C stops it and deletes its data) for trying Sluice against real Kafka.
 */
import { KAFKA_VERSION, ensureKafkaJars, startKafka } from '../services/kafka.js';

const cmd = process.argv[2] ?? 'start';
const log = (l: string) => console.error(`[kafka] ${l}`);
if (cmd === 'fetch') {
  console.log(ensureKafkaJars(KAFKA_VERSION, log));
} else if (cmd === 'start') {
  const broker = await startKafka({ log });
  console.log(`KAFKA_BROKERS=${broker.brokers}`);
  const stop = () => {
    void broker.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  setInterval(() => {}, 1 << 30);
} else {
  console.error('usage: npm run kafka -- fetch|start');
  process.exit(2);
}
