import type { IEvent, IKeyValue } from 'etcd3';
import type { StoredValue, StoreEvent } from './types.js';

/** etcd3 returns 64-bit numbers as strings; revisions stay far below 2^53. */
export function num(v: string | number | undefined): number {
  return v === undefined ? 0 : Number(v);
}

export function toStoredValue(kv: IKeyValue): StoredValue {
  return {
    key: kv.key.toString('utf8'),
    value: kv.value.toString('utf8'),
    modRevision: num(kv.mod_revision),
    createRevision: num(kv.create_revision),
    version: num(kv.version),
  };
}

export function toStoreEvent(ev: IEvent): StoreEvent {
  const key = ev.kv.key.toString('utf8');
  const modRevision = num(ev.kv.mod_revision);
  // the proto loader gives enum names ('PUT' / 'DELETE'); the typings say 'Put' / 'Delete'
  if (String(ev.type).toUpperCase() === 'DELETE') return { type: 'delete', key, modRevision };
  return {
    type: 'put',
    key,
    value: ev.kv.value.toString('utf8'),
    modRevision,
    createRevision: num(ev.kv.create_revision),
    version: num(ev.kv.version),
  };
}
