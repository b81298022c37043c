// VLAN allocation errors; messages follow minimega's wording (ovs-net.md §5).

export abstract class VlanError extends Error {
  abstract readonly code: string;
  override name = 'VlanError';
}

export class EmptyVlanError extends VlanError {
  readonly code = 'ERR_VLAN_EMPTY' as const;
  constructor() {
    super('VLAN must be non-empty string');
  }
}

export class InvalidVlanError extends VlanError {
  readonly code = 'ERR_VLAN_INVALID' as const;
  constructor(readonly value: string) {
    super('invalid VLAN (0 <= vlan < 4096)');
  }
}

export class OutOfVlansError extends VlanError {
  readonly code = 'ERR_OUT_OF_VLANS' as const;
  constructor(readonly namespace: string) {
    super('out of VLANs');
  }
}

export class AliasInUseError extends VlanError {
  readonly code = 'ERR_ALIAS_IN_USE' as const;
  constructor(readonly alias: string) {
    super('alias already in use');
  }
}

export class VlanInUseError extends VlanError {
  readonly code = 'ERR_VLAN_IN_USE' as const;
  constructor(readonly vlan: number) {
    super('vlan already in use');
  }
}

/** `vlans range MIN MAX` with MAX <= MIN (minimega's text is inverted; kept for the tests). */
export class InvalidVlanRangeError extends VlanError {
  readonly code = 'ERR_VLAN_RANGE_INVALID' as const;
  constructor(
    readonly min: number,
    readonly max: number,
  ) {
    super('expected min > max');
  }
}

export class VlanRangeOverlapError extends VlanError {
  readonly code = 'ERR_VLAN_RANGE_OVERLAP' as const;
  constructor(readonly other: string) {
    super(`range overlaps with another namespace: ${other}`);
  }
}
