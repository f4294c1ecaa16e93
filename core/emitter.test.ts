import { describe, expect, it } from 'vitest';
import { Emitter } from './emitter.js';

interface E {
  ping: number;
  pong: string;
}

describe('Emitter', () => {
  it('delivers typed events in subscription order and reports listeners', () => {
    const e = new Emitter<E>();
    const seen: string[] = [];
    expect(e.has('ping')).toBe(false);
    e.on('ping', (n) => seen.push(`a${n}`));
    e.on('ping', (n) => seen.push(`b${n}`));
    e.emit('ping', 1);
    e.emit('pong', 'nobody listens');
    expect(seen).toEqual(['a1', 'b1']);
    expect(e.has('ping')).toBe(true);
    expect(e.has('pong')).toBe(false);
  });

  it('unsubscribes idempotently, and a change during emit affects only later emits', () => {
    const e = new Emitter<E>();
    const seen: number[] = [];
    let offB = (): void => {};
    const offA = e.on('ping', (n) => {
      seen.push(n);
      offB();
    });
    offB = e.on('ping', (n) => seen.push(n * 10));
    e.emit('ping', 1);
    e.emit('ping', 2);
    expect(seen).toEqual([1, 10, 2]);
    offA();
    offA();
    expect(e.has('ping')).toBe(false);
  });

  it('removes one subscription per unsubscribe when a function is subscribed twice', () => {
    const e = new Emitter<E>();
    let calls = 0;
    const listener = (): void => {
      calls++;
    };
    const first = e.on('ping', listener);
    e.on('ping', listener);
    first();
    first();
    e.emit('ping', 1);
    expect(calls).toBe(1);
  });

  it('lets an emitter skip building a payload nobody listens to, per event name', () => {
    const e = new Emitter<E>();
    let built = 0;
    const payload = (): number => ++built;
    const emitIfHeard = (): void => {
      if (e.has('ping')) e.emit('ping', payload());
    };
    emitIfHeard();
    const off = e.on('ping', () => {});
    const offPong = e.on('pong', () => {});
    emitIfHeard();
    off();
    emitIfHeard();
    expect(built).toBe(1);
    expect(e.has('pong')).toBe(true);
    offPong();
    expect(e.has('pong')).toBe(false);
  });

  it('isolates a throwing listener and hands its error to the handler', () => {
    const errors: [unknown, string][] = [];
    const e = new Emitter<E>((err, name) => errors.push([err, name]));
    const seen: number[] = [];
    e.on('ping', () => {
      throw new Error('boom');
    });
    e.on('ping', (n) => seen.push(n));
    e.emit('ping', 5);
    expect(seen).toEqual([5]);
    expect(errors[0]![1]).toBe('ping');
  });
});
