// Go text/tabwriter's column layout, for the two configurations minimega uses:
// tables (minwidth 5, padding 1, pad ' ') and the help list (minwidth 0,
// tabwidth 8, padding 0, pad '\t'). Cells are tab-terminated; the last cell of
// each line is not part of any column and is written unpadded. Widths are
// computed per "column block" (consecutive lines that have that column), as Go does.

export interface TabwriterOptions {
  minwidth: number;
  tabwidth: number;
  padding: number;
  padchar: ' ' | '\t';
}

const cellWidth = (s: string): number => {
  let n = 0;
  for (const _ of s) n++;
  return n;
};

/** Lay out lines given as cell arrays (the last cell of each line is the unterminated one). */
export function tabwrite(lines: readonly (readonly string[])[], opts: TabwriterOptions): string {
  const out: string[] = [];
  const widths: number[] = [];

  const writeLines = (line0: number, line1: number): void => {
    for (let i = line0; i < line1; i++) {
      const cells = lines[i]!;
      let s = '';
      cells.forEach((cell, j) => {
        const w = cellWidth(cell);
        s += cell;
        if (j < widths.length && j < cells.length - 1) s += padding(w, widths[j]!);
      });
      out.push(s);
    }
  };

  const padding = (textw: number, cellw: number): string => {
    if (opts.padchar === '\t') {
      if (opts.tabwidth === 0) return '';
      const rounded = Math.ceil(cellw / opts.tabwidth) * opts.tabwidth;
      return '\t'.repeat(Math.ceil((rounded - textw) / opts.tabwidth));
    }
    return ' '.repeat(cellw - textw);
  };

  const format = (line0: number, line1: number): void => {
    const column = widths.length;
    let start = line0;
    for (let t = line0; t < line1; t++) {
      if (column >= lines[t]!.length - 1) continue;
      // a block of lines with a cell in this column starts at t
      writeLines(start, t);
      start = t;
      let width = opts.minwidth;
      for (; t < line1; t++) {
        const cells = lines[t]!;
        if (column >= cells.length - 1) break;
        width = Math.max(width, cellWidth(cells[column]!) + opts.padding);
      }
      widths.push(width);
      format(start, t);
      widths.pop();
      start = t;
      t--; // the outer loop's t++ revisits line t
    }
    writeLines(start, line1);
  };

  format(0, lines.length);
  return out.map((l) => l + '\n').join('');
}
