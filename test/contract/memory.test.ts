/** The store contract against the in-memory twins, on a clock the cases move by hand. */
import { memoryFactory } from './stores.js';
import { storeContract } from './store-contract.js';

storeContract(memoryFactory());
