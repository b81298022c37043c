export {
  DEFAULT_NAMESPACE,
  type NamespaceInfo,
  type NamespaceListener,
  type NamespaceManager,
  type SlotKey,
  slotKey,
} from './manager.js';
export { createNamespaceManager, validateNamespaceName, type LocalNamespaceManagerOptions } from './local-manager.js';
export { InvalidNamespaceNameError, NamespaceError, UnknownNamespaceError } from './errors.js';
export { Namespace } from './namespace.js';
