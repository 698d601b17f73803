/** The store contract against the Redis adapters the bot runs on, on the test Redis. */
import { redisFactory } from './stores.js';
import { storeContract } from './store-contract.js';

storeContract(redisFactory());
