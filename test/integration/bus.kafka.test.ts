import { inject } from 'vitest';
import { KafkaBus } from '../../adapters/bus/kafka.js';
import { messageBusContract } from '../../adapters/bus/bus.contract.js';

messageBusContract(`Apache Kafka via kafkajs`, async () => new KafkaBus({ brokers: [inject('kafkaBrokers')], clientId: 'contract' }));
