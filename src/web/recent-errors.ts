import { type Clock, systemClock } from '../clock.js';
import { maskUrlCredentials } from '../config.js';

/**
 * The last errors the server answered with or saw in a background job, for the status page. A URL's user:password@
 * in a message (a provider URL with credentials) is masked.
 */
export interface RecentError {
  at: string;
  code: string;
  message: string;
  remedy: string;
  where: string;
}

export class RecentErrors {
  private readonly items: RecentError[] = [];
  constructor(
    private readonly max = 50,
    private readonly clock: Clock = systemClock,
  ) {}

  add(e: Omit<RecentError, 'at'>): void {
    this.items.unshift({
      at: new Date(this.clock.now()).toISOString(),
      ...e,
      message: maskUrlCredentials(e.message),
      remedy: maskUrlCredentials(e.remedy),
    });
    if (this.items.length > this.max) this.items.length = this.max;
  }

  list(): RecentError[] {
    return [...this.items];
  }
}
