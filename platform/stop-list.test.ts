import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';
import { StopList } from './stop-list.js';

describe('StopList', () => {
  it('stops HTTP, then the workers, then the Temporal client, then the database, whatever the order of adding', async () => {
    const stops = new StopList(createLogger('silent'));
    const order: string[] = [];
    const note = (name: string) => async () => void order.push(name);
    stops.add('database', note('database'));
    stops.add('temporal', note('temporal client'));
    stops.add('workers', note('workers'));
    stops.add('http', note('http'));
    stops.add('last', note('dev server'));
    stops.add('api', note('admission decisions'));
    stops.add('extras', note('demo agents'));
    await stops.stop();
    expect(order).toEqual([
      'demo agents',
      'http',
      'admission decisions',
      'workers',
      'temporal client',
      'database',
      'dev server',
    ]);
  });

  it('runs the later stops when one fails, and stops only once', async () => {
    const stops = new StopList(createLogger('silent'));
    const order: string[] = [];
    stops.add('http', () => Promise.reject(new Error('already closed')));
    stops.add('database', async () => void order.push('database'));
    await Promise.all([stops.stop(), stops.stop()]);
    await stops.stop();
    expect(order).toEqual(['database']);
  });
});
