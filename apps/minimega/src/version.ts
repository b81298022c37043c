// Version strings. The first words stay minimega's (`minimega <version> ...`):
// tools such as the Python bindings' connect() look for the version there.
// The notices name this project; minimega is credited as the original design.
export const VERSION = '2.9.0-ts';
export const REVISION = 'ts';
export const BUILD_DATE = '2026-11-21';

export const PROJECT = 'minimega-ts';
export const ORIGINAL = 'https://github.com/sandia-minimega/minimega';

/** `-version`'s notice, after the version line */
export const COPYRIGHT =
  `${PROJECT}: a TypeScript implementation of minimega, licensed under the GPL-3.0.\n` +
  `It follows the design, command language and protocols of the original minimega\n` +
  `(${ORIGINAL}); it is not Sandia's code and not endorsed by its authors.`;

/** printed by the daemon at start and above `-h`'s usage */
export const BANNER =
  `${PROJECT} ${VERSION}: a TypeScript implementation of minimega\n` +
  `(original design: ${ORIGINAL})\n`;

export function versionLine(): string {
  return `minimega ${VERSION} ${REVISION} ${BUILD_DATE}`;
}

/** the `version` command's answer */
export function versionResponse(): string {
  return `minimega ${VERSION} ${BUILD_DATE} (${PROJECT}, a TypeScript implementation of minimega)`;
}
