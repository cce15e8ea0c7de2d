import type { RequestView } from './request-view.js';
import type { CompiledRoute } from './compiled-route.js';
import { firstAccepting } from './compiled-route.js';

interface TrieNode<T> {
  /** the edge label from the parent (compressed: a run of characters) */
  label: string;
  /** children by the first UTF-16 code unit of their label */
  children: Map<number, TrieNode<T>> | undefined;
  /** routes whose pathPrefix ends exactly here, sorted by rank */
  routes: CompiledRoute<T>[] | undefined;
}

/**
 * A radix trie of `pathPrefix` strings. Prefixes are plain string prefixes (`/v1` matches `/v1x`,
 * as nginx `location /v1` and Traefik `PathPrefix` do), so edges split anywhere, not only at '/'.
 * A lookup walks the path once and visits every stored prefix of it, shortest first.
 * Mutable only while the index is built.
 */
export class PathTrie<T> {
  private readonly root: TrieNode<T> = { label: '', children: undefined, routes: undefined };

  /** Adds a route; routes must be added in rank order so each node's list stays sorted. */
  add(prefix: string, route: CompiledRoute<T>): void {
    const node = this.nodeFor(prefix);
    (node.routes ??= []).push(route);
  }

  private nodeFor(prefix: string): TrieNode<T> {
    let node = this.root;
    let pos = 0;
    while (pos < prefix.length) {
      const first = prefix.charCodeAt(pos);
      const children = (node.children ??= new Map());
      const child = children.get(first);
      if (child === undefined) {
        const leaf: TrieNode<T> = { label: prefix.slice(pos), children: undefined, routes: undefined };
        children.set(first, leaf);
        return leaf;
      }
      const label = child.label;
      let k = 1;
      while (k < label.length && pos + k < prefix.length && label.charCodeAt(k) === prefix.charCodeAt(pos + k)) k++;
      if (k < label.length) {
        const mid: TrieNode<T> = { label: label.slice(0, k), children: new Map(), routes: undefined };
        child.label = label.slice(k);
        mid.children!.set(child.label.charCodeAt(0), child);
        children.set(first, mid);
        node = mid;
      } else {
        node = child;
      }
      pos += k;
    }
    return node;
  }

  /** The best route under any stored prefix of `req.path` that beats `best`, else `best`. */
  scan(req: RequestView, best: CompiledRoute<T> | undefined): CompiledRoute<T> | undefined {
    const path = req.path;
    let node = this.root;
    let pos = 0;
    for (;;) {
      if (node.routes !== undefined) best = firstAccepting(node.routes, req, best);
      if (node.children === undefined || pos >= path.length) return best;
      const child = node.children.get(path.charCodeAt(pos));
      if (child === undefined || !path.startsWith(child.label, pos)) return best;
      pos += child.label.length;
      node = child;
    }
  }
}
