// Version strings (minimega prints `minimega <version> <revision> <date>`).
export const VERSION = '2.9.0-ts';
export const REVISION = 'ts';
export const BUILD_DATE = '2026-11-21';

export const COPYRIGHT =
  'Copyright (2014) Sandia Corporation. Under the terms of Contract DE-AC04-94AL85000,\n' +
  'there is a non-exclusive license for use of this work by or on behalf of the U.S. Government.\n' +
  'This TypeScript implementation follows the behaviour of the original Go minimega.';

export const BANNER =
  'minimega, Copyright (2014) Sandia Corporation.\n' +
  'Under the terms of Contract DE-AC04-94AL85000 with Sandia Corporation,\n' +
  'the U.S. Government retains certain rights in this software.\n';

export function versionLine(): string {
  return `minimega ${VERSION} ${REVISION} ${BUILD_DATE}`;
}
