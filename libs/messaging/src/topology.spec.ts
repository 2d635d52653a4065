import 'reflect-metadata';
import { loadConfig } from '@baton/config';
import { deadLetterQueue, retryQueue, Topology, workQueue } from './topology';
import { JobType } from '@baton/contracts';

function topology(env: Record<string, string>): Topology {
  return new Topology(loadConfig(env));
}

describe(Topology.name, () => {
  describe('retryDelay', () => {
    const subject = topology({ JOB_RETRY_BASE_MS: '1000', JOB_RETRY_MAX_MS: '10000' });

    it('waits the base delay before the first retry', () => {
      expect(subject.retryDelay(1)).toBe(1000);
    });

    it('doubles the delay with each further retry', () => {
      expect([1, 2, 3, 4].map((attempt) => subject.retryDelay(attempt))).toEqual([1000, 2000, 4000, 8000]);
    });

    it('caps the delay at JOB_RETRY_MAX_MS', () => {
      expect(subject.retryDelay(5)).toBe(10_000);
      expect(subject.retryDelay(6)).toBe(10_000);
      expect(subject.retryDelay(30)).toBe(10_000);
    });

    it('stays capped (and finite) for absurd attempt numbers', () => {
      expect(subject.retryDelay(1000)).toBe(10_000);
      expect(subject.retryDelay(Number.MAX_SAFE_INTEGER)).toBe(10_000);
    });

    it('never goes below the base delay', () => {
      expect(subject.retryDelay(0)).toBe(1000);
      expect(subject.retryDelay(-3)).toBe(1000);
    });

    it('never decreases from one attempt to the next', () => {
      const delays = Array.from({ length: 40 }, (_, index) => subject.retryDelay(index + 1));
      for (let index = 1; index < delays.length; index++) expect(delays[index]).toBeGreaterThanOrEqual(delays[index - 1]);
    });

    it('uses the cap at once when it equals the base', () => {
      const flat = topology({ JOB_RETRY_BASE_MS: '500', JOB_RETRY_MAX_MS: '500' });
      expect([1, 2, 3].map((attempt) => flat.retryDelay(attempt))).toEqual([500, 500, 500]);
    });

    it('follows the configuration', () => {
      const other = topology({ JOB_RETRY_BASE_MS: '50', JOB_RETRY_MAX_MS: '300000' });
      expect([1, 2, 3].map((attempt) => other.retryDelay(attempt))).toEqual([50, 100, 200]);
    });
  });

  describe('retryDelays', () => {
    it.each([
      [{ JOB_MAX_ATTEMPTS: '5', JOB_RETRY_BASE_MS: '1000', JOB_RETRY_MAX_MS: '300000' }],
      [{ JOB_MAX_ATTEMPTS: '10', JOB_RETRY_BASE_MS: '1000', JOB_RETRY_MAX_MS: '5000' }],
      [{ JOB_MAX_ATTEMPTS: '3', JOB_RETRY_BASE_MS: '50', JOB_RETRY_MAX_MS: '50' }],
      [{ JOB_MAX_ATTEMPTS: '100', JOB_RETRY_BASE_MS: '10', JOB_RETRY_MAX_MS: '86400000' }],
      [{ JOB_MAX_ATTEMPTS: '2' }],
    ])('has one distinct delay for every retry a job can make (%j)', (env) => {
      const config = loadConfig(env);
      const subject = new Topology(config);
      const delays = subject.retryDelays();

      expect(new Set(delays).size).toBe(delays.length);
      for (let attempt = 1; attempt < config.JOB_MAX_ATTEMPTS; attempt++) expect(delays).toContain(subject.retryDelay(attempt));
      // and nothing else: each delay belongs to some retry
      const needed = new Set(Array.from({ length: config.JOB_MAX_ATTEMPTS - 1 }, (_, index) => subject.retryDelay(index + 1)));
      expect(new Set(delays)).toEqual(needed);
    });

    it('lists the doubling delays up to the cap', () => {
      const subject = topology({ JOB_MAX_ATTEMPTS: '10', JOB_RETRY_BASE_MS: '1000', JOB_RETRY_MAX_MS: '5000' });
      expect([...subject.retryDelays()].sort((a, b) => a - b)).toEqual([1000, 2000, 4000, 5000]);
    });

    it('covers the retry after the next-to-last attempt, not one beyond the last', () => {
      const subject = topology({ JOB_MAX_ATTEMPTS: '4', JOB_RETRY_BASE_MS: '100', JOB_RETRY_MAX_MS: '100000' });
      expect([...subject.retryDelays()].sort((a, b) => a - b)).toEqual([100, 200, 400]);
    });

    it('is empty when a job gets a single attempt', () => {
      expect(topology({ JOB_MAX_ATTEMPTS: '1' }).retryDelays()).toEqual([]);
    });
  });

  describe('retryTier', () => {
    it('is the delay of the attempt when this process declared it', () => {
      const subject = topology({ JOB_MAX_ATTEMPTS: '5', JOB_RETRY_BASE_MS: '1000', JOB_RETRY_MAX_MS: '60000' });
      expect([1, 2, 3, 4].map((attempt) => subject.retryTier(attempt))).toEqual([1000, 2000, 4000, 8000]);
    });

    it('falls back to the longest declared delay for attempts beyond this process JOB_MAX_ATTEMPTS', () => {
      const subject = topology({ JOB_MAX_ATTEMPTS: '3', JOB_RETRY_BASE_MS: '1000', JOB_RETRY_MAX_MS: '60000' });
      expect(subject.retryDelays()).toEqual([1000, 2000]);
      expect(subject.retryTier(5)).toBe(2000);
      expect(subject.retryDelays()).toContain(subject.retryTier(9));
    });
  });

  describe('names', () => {
    it('derives queue names from the job type', () => {
      expect(workQueue(JobType.Workout)).toBe('workouts');
      expect(deadLetterQueue(JobType.Invoice)).toBe('invoices.dead');
      expect(retryQueue(JobType.Workout, 2000)).toBe('workouts.retry.2000ms');
    });
  });
});
