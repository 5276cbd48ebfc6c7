export { PATH_SEPARATOR } from './build.js';
export {
  deleteDatasetRollups,
  refreshAllRollups,
  refreshConversations,
  refreshDatasetRollups,
  refreshRollupsForTurns,
} from './maintain.js';
export {
  conversationAggregateFromRollups,
  conversationRollupsApply,
  conversationRollupWhere,
  dailyRollupsApply,
  dailySource,
} from './read.js';
export { rebuildRollups, type RebuildResult } from './rebuild.js';
