export { InvalidNamespaceNameError, NamespaceError, UnknownNamespaceError } from './errors.js';
export {
  createNamespaceManager,
  type LocalNamespaceManagerOptions,
  validateNamespaceName,
} from './local-manager.js';
export {
  DEFAULT_NAMESPACE,
  type NamespaceInfo,
  type NamespaceListener,
  type NamespaceManager,
  type SlotKey,
  slotKey,
} from './manager.js';
export { Namespace } from './namespace.js';
