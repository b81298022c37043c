// @mm/meshage: an authenticated message-passing mesh. Nodes find each other
// by UDP broadcast, keep links with heartbeats, learn the whole topology by
// link-state flooding, route requests by shortest path, and return one
// result per host. See README.md.
export { alignedBuffer, isPageAligned, PAGE_ALIGN } from './aligned.js';
export { readMeshKey } from './auth.js';
export { broadcastOf, interfaceBroadcastAddresses } from './broadcast-addresses.js';
export * from './errors.js';
export { recycleStreamChunk, takeStreamChunk } from './frame-pool.js';
export { DEFAULT_MAX_FRAME, encodeFrame, FrameDecoder } from './framing.js';
export { defineKind, type MessageKind } from './kinds.js';
export {
  createMemoryNetwork,
  type MemoryNetwork,
  type MemoryNetworkOptions,
} from './memory-transport.js';
export {
  createMesh,
  type Handler,
  type HandlerContext,
  type LogLevel,
  type Mesh,
  type MeshEvents,
  type MeshOptions,
  type MeshStats,
  type PeerInfo,
  type SendOptions,
  type SendResult,
} from './mesh.js';
export { checkNodeName, isNodeName, MAX_NAME_LENGTH, nodeName, nodeNameProblem } from './names.js';
export { STREAM_CHUNK, type StreamContext, type StreamHandler } from './streams.js';
export { createTcpTransport, parseAddress, type TcpTransportOptions } from './tcp-transport.js';
export { computeRoutes, LinkStateDb, newer, type Routes } from './topology.js';
export {
  BaseLink,
  type DialOptions,
  type Link,
  type LinkHandlers,
  type Transport,
} from './transport.js';
export { PROTOCOL_VERSION } from './wire.js';
