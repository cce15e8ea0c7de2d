import { FilterRunError } from './errors.js';
import type { FilterExchange, FilterInstance, FilterReply, FilterResponse } from './types.js';

export interface ChainLink {
  readonly id: string;
  readonly instance: FilterInstance;
}

/** How the request phase ended: `ran` filters had their onRequest called. */
export interface RequestOutcome {
  readonly ran: number;
  readonly reply?: FilterReply;
  readonly error?: FilterRunError;
}

function isThenable<T>(v: unknown): v is PromiseLike<T> {
  return v !== null && typeof v === 'object' && typeof (v as { then?: unknown }).then === 'function';
}

/**
 * A route's filters, in order, built once per configuration. The request phase calls onRequest in
 * order until one answers locally; the response phase calls onResponse in reverse for the filters
 * whose onRequest ran (the one that answered included). Synchronous filters cost no promise; a
 * filter that returns one is awaited within the chain's time budget (per phase). A throw, a
 * rejection or an invalid reply fails that request alone (500 `filter_error`), an overrun
 * abandons it (504 `filter_timeout`).
 */
export class FilterChain {
  readonly links: readonly ChainLink[];
  readonly hasResponse: boolean;

  constructor(
    links: readonly ChainLink[],
    private readonly budgetMs: number,
    private readonly onFailure: (err: FilterRunError) => void,
  ) {
    this.links = links;
    this.hasResponse = links.some((l) => typeof l.instance.onResponse === 'function');
  }

  runRequest(fx: FilterExchange): RequestOutcome | Promise<RequestOutcome> {
    return this.#request(fx, 0, Date.now() + this.budgetMs);
  }

  #request(fx: FilterExchange, from: number, deadline: number): RequestOutcome | Promise<RequestOutcome> {
    const links = this.links;
    for (let i = from; i < links.length; i++) {
      const link = links[i] as ChainLink;
      const fn = link.instance.onRequest;
      if (typeof fn !== 'function') continue;
      let r: unknown;
      try {
        r = fn.call(link.instance, fx);
      } catch (err) {
        return this.#fail(link.id, i + 1, false, err);
      }
      if (isThenable<FilterReply | undefined>(r)) {
        return within(r, deadline).then(
          (v) => (v === undefined || v === null ? this.#request(fx, i + 1, deadline) : this.#reply(link.id, i + 1, v)),
          (err: unknown) => this.#fail(link.id, i + 1, err === TIMED_OUT, err),
        );
      }
      if (r !== undefined && r !== null) return this.#reply(link.id, i + 1, r);
    }
    return { ran: links.length };
  }

  /** Runs onResponse for the first `ran` filters, last first. Throws (or rejects with) FilterRunError. */
  runResponse(fx: FilterExchange, res: FilterResponse, ran: number): void | Promise<void> {
    return this.#response(fx, res, ran - 1, Date.now() + this.budgetMs);
  }

  #response(fx: FilterExchange, res: FilterResponse, from: number, deadline: number): void | Promise<void> {
    for (let i = from; i >= 0; i--) {
      const link = this.links[i] as ChainLink;
      const fn = link.instance.onResponse;
      if (typeof fn !== 'function') continue;
      let r: unknown;
      try {
        r = fn.call(link.instance, fx, res);
      } catch (err) {
        throw this.#error(link.id, false, err);
      }
      if (isThenable<void>(r)) {
        return within(r, deadline).then(
          () => this.#response(fx, res, i - 1, deadline),
          (err: unknown) => {
            throw this.#error(link.id, err === TIMED_OUT, err);
          },
        );
      }
    }
  }

  #reply(id: string, ran: number, v: unknown): RequestOutcome {
    const status = (v as FilterReply).status;
    if (typeof v !== 'object' || !Number.isInteger(status) || status < 200 || status > 599) {
      return this.#fail(id, ran, false, new TypeError(`onRequest returned ${JSON.stringify(v)}, not { status: 200-599, headers?, body? }`));
    }
    return { ran, reply: v as FilterReply };
  }

  #fail(id: string, ran: number, timedOut: boolean, cause: unknown): RequestOutcome {
    return { ran, error: this.#error(id, timedOut, cause) };
  }

  #error(id: string, timedOut: boolean, cause: unknown): FilterRunError {
    const err = new FilterRunError(id, timedOut, { cause });
    this.onFailure(err);
    return err;
  }
}

const TIMED_OUT = Symbol('timed out');

function within<T>(p: PromiseLike<T>, deadline: number): Promise<T> {
  const left = deadline - Date.now();
  if (left <= 0) return Promise.reject(TIMED_OUT);
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(TIMED_OUT), left);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (err: unknown) => {
        clearTimeout(t);
        reject(err);
      },
    );
  });
}
