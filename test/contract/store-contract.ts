import { actionStoreContract } from './action-store.contract.js';
import { fleetStoreContract } from './fleet-store.contract.js';
import { incidentStoreContract } from './incident-store.contract.js';
import type { StoreFactory } from './stores.js';
import { timeIndexesContract } from './time-indexes.contract.js';

/** Every case of the store contract, against one implementation. */
export function storeContract(factory: StoreFactory): void {
  incidentStoreContract(factory);
  actionStoreContract(factory);
  fleetStoreContract(factory);
  timeIndexesContract(factory);
}
