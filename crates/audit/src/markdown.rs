//! The report as blocks: headings, list items (with their checkbox), table rows, paragraphs and
//! code lines, each with its 1-based line number, read with pulldown-cmark's offset iterator.

use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag, TagEnd};

/// The longest text kept for one block; the rest of a longer block is not read (bounded work).
pub const MAX_BLOCK_TEXT: usize = 2048;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BlockKind {
    Heading(u8),
    /// A list item; `task` is its checkbox (`[x]` true, `[ ]` false).
    Item {
        task: Option<bool>,
    },
    /// A table row; `header` for the head row.
    Row {
        header: bool,
    },
    Paragraph,
    /// One line of a fenced or indented code block; `plain` when the fence names no language
    /// (or `text`), whose lines are read as prose.
    Code {
        plain: bool,
    },
}

#[derive(Debug, Clone)]
pub struct Block {
    pub line: usize,
    pub kind: BlockKind,
    pub text: String,
    /// The cells of a table row.
    pub cells: Vec<String>,
    /// The index (in the block list) of the nearest heading above, if any.
    pub heading: Option<usize>,
    /// For a heading: the index of the heading it is under.
    pub parent: Option<usize>,
    /// For a table row: the index of its table's head row.
    pub table_head: Option<usize>,
}

/// Line starts, and the line of the last lookup: offsets come mostly in order, so a lookup
/// is usually a step or two from the last one.
struct Lines(Vec<usize>, std::cell::Cell<usize>);

impl Lines {
    fn new(text: &str) -> Lines {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Lines(starts, std::cell::Cell::new(1))
    }

    /// The 1-based line of byte `offset`.
    fn line_of(&self, offset: usize) -> usize {
        let starts = &self.0;
        let mut line = self.1.get();
        // Line `line` spans starts[line - 1] .. starts[line].
        for _ in 0..8 {
            let start = starts[line - 1];
            let end = starts.get(line).copied().unwrap_or(usize::MAX);
            if offset < start {
                line -= 1;
            } else if offset >= end {
                line += 1;
            } else {
                self.1.set(line);
                return line;
            }
        }
        let line = starts.partition_point(|&start| start <= offset);
        self.1.set(line);
        line
    }
}

fn push_bounded(into: &mut String, text: &str) {
    if into.len() >= MAX_BLOCK_TEXT {
        return;
    }
    let room = MAX_BLOCK_TEXT - into.len();
    if text.len() <= room {
        into.push_str(text);
    } else {
        let mut end = room;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        into.push_str(&text[..end]);
    }
}

/// The blocks of `source`, in document order.
pub fn blocks(source: &str) -> Vec<Block> {
    let lines = Lines::new(source);
    let options =
        Options::ENABLE_TABLES | Options::ENABLE_TASKLISTS | Options::ENABLE_STRIKETHROUGH;
    let mut out: Vec<Block> = Vec::new();
    let mut current: Option<Block> = None;
    let mut heading: Option<usize> = None;
    // Headings open above the current point, by level: (level, index).
    let mut heading_stack: Vec<(u8, usize)> = Vec::new();
    let mut table_head: Option<usize> = None;
    let mut in_code: Option<bool> = None;
    let mut cell = String::new();
    let mut in_cell = false;

    let flush = |current: &mut Option<Block>, out: &mut Vec<Block>| {
        if let Some(block) = current.take() {
            let keep = !block.text.trim().is_empty()
                || matches!(block.kind, BlockKind::Item { task: Some(_) });
            if keep {
                out.push(block);
            }
        }
    };
    let new_block = |kind: BlockKind, line: usize, heading: Option<usize>| Block {
        line,
        kind,
        text: String::new(),
        cells: Vec::new(),
        heading,
        parent: None,
        table_head: None,
    };

    for (event, range) in Parser::new_ext(source, options).into_offset_iter() {
        let line = lines.line_of(range.start);
        match event {
            Event::Start(Tag::Heading { level, .. }) => {
                flush(&mut current, &mut out);
                let level = level as u8;
                while heading_stack.last().is_some_and(|&(l, _)| l >= level) {
                    heading_stack.pop();
                }
                let mut block = new_block(BlockKind::Heading(level), line, heading);
                block.parent = heading_stack.last().map(|&(_, i)| i);
                current = Some(block);
            }
            Event::End(TagEnd::Heading(level)) => {
                if let Some(block) = current.take() {
                    let index = out.len();
                    out.push(block);
                    heading = Some(index);
                    heading_stack.push((level as u8, index));
                }
            }
            Event::Start(Tag::Item) => {
                flush(&mut current, &mut out);
                current = Some(new_block(BlockKind::Item { task: None }, line, heading));
            }
            Event::TaskListMarker(checked) => {
                if let Some(Block {
                    kind: BlockKind::Item { task },
                    ..
                }) = current.as_mut()
                {
                    *task = Some(checked);
                }
            }
            Event::Start(Tag::List(_)) | Event::End(TagEnd::Item) => {
                flush(&mut current, &mut out);
            }
            Event::Start(Tag::Paragraph) if current.is_none() => {
                current = Some(new_block(BlockKind::Paragraph, line, heading));
            }
            Event::End(TagEnd::Paragraph) => {
                if matches!(
                    current,
                    Some(Block {
                        kind: BlockKind::Paragraph,
                        ..
                    })
                ) {
                    flush(&mut current, &mut out);
                } else if let Some(block) = current.as_mut() {
                    push_bounded(&mut block.text, " ");
                }
            }
            Event::Start(Tag::TableHead) | Event::Start(Tag::TableRow) => {
                flush(&mut current, &mut out);
                let header = matches!(event, Event::Start(Tag::TableHead));
                let mut block = new_block(BlockKind::Row { header }, line, heading);
                block.table_head = if header { None } else { table_head };
                current = Some(block);
            }
            Event::End(TagEnd::TableHead) => {
                table_head = Some(out.len());
                flush(&mut current, &mut out);
            }
            Event::End(TagEnd::TableRow) => flush(&mut current, &mut out),
            Event::End(TagEnd::Table) => table_head = None,
            Event::Start(Tag::TableCell) => {
                in_cell = true;
                cell.clear();
            }
            Event::End(TagEnd::TableCell) => {
                in_cell = false;
                if let Some(block) = current.as_mut() {
                    if !block.text.is_empty() {
                        push_bounded(&mut block.text, " | ");
                    }
                    push_bounded(&mut block.text, cell.trim());
                    if block.cells.len() < 64 {
                        block.cells.push(cell.trim().to_string());
                    }
                }
            }
            Event::Start(Tag::CodeBlock(kind)) => {
                flush(&mut current, &mut out);
                let plain = match kind {
                    CodeBlockKind::Indented => true,
                    CodeBlockKind::Fenced(lang) => {
                        let lang = lang.trim().to_ascii_lowercase();
                        lang.is_empty() || lang == "text" || lang == "txt" || lang == "plain"
                    }
                };
                in_code = Some(plain);
            }
            Event::End(TagEnd::CodeBlock) => in_code = None,
            Event::Text(text) | Event::Code(text) if in_code.is_some() => {
                let plain = in_code.unwrap_or(false);
                let mut offset = range.start;
                for piece in text.split_inclusive('\n') {
                    let body = piece.trim_end_matches(['\n', '\r']);
                    if !body.trim().is_empty() {
                        let mut block =
                            new_block(BlockKind::Code { plain }, lines.line_of(offset), heading);
                        push_bounded(&mut block.text, body);
                        out.push(block);
                    }
                    offset += piece.len();
                }
            }
            Event::Text(text)
            | Event::Code(text)
            | Event::InlineMath(text)
            | Event::InlineHtml(text)
            | Event::Html(text) => {
                if in_cell {
                    push_bounded(&mut cell, &text);
                } else {
                    let block = current
                        .get_or_insert_with(|| new_block(BlockKind::Paragraph, line, heading));
                    push_bounded(&mut block.text, &text);
                }
            }
            Event::SoftBreak | Event::HardBreak => {
                if in_cell {
                    push_bounded(&mut cell, " ");
                } else if let Some(block) = current.as_mut() {
                    // A line break inside a paragraph starts a new claim line ("**A**: x  \n**B**: y").
                    if matches!(block.kind, BlockKind::Paragraph) {
                        flush(&mut current, &mut out);
                        current = Some(new_block(
                            BlockKind::Paragraph,
                            lines.line_of(range.end),
                            heading,
                        ));
                    } else {
                        push_bounded(&mut block.text, " ");
                    }
                }
            }
            _ => {}
        }
    }
    flush(&mut current, &mut out);
    // A paragraph started by a line break takes the line of its first text, not of the break.
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_carry_lines_kinds_and_tasks() {
        let text = "# T\n\n- [x] done\n- [ ] open\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n```yaml\nx: 1\n```\n**A**: 1  \n**B**: 2\n";
        let blocks = blocks(text);
        let summary: Vec<(usize, &BlockKind, &str)> = blocks
            .iter()
            .map(|b| (b.line, &b.kind, b.text.as_str()))
            .collect();
        assert_eq!(
            summary,
            vec![
                (1, &BlockKind::Heading(1), "T"),
                (3, &BlockKind::Item { task: Some(true) }, "done"),
                (4, &BlockKind::Item { task: Some(false) }, "open"),
                (6, &BlockKind::Row { header: true }, "a | b"),
                (8, &BlockKind::Row { header: false }, "1 | 2"),
                (11, &BlockKind::Code { plain: false }, "x: 1"),
                (13, &BlockKind::Paragraph, "A: 1"),
                (14, &BlockKind::Paragraph, "B: 2"),
            ]
        );
        assert_eq!(blocks[4].table_head, Some(3));
        assert_eq!(blocks[1].heading, Some(0));
    }

    #[test]
    fn lines_of_offsets_in_any_order() {
        let text = "a\nbb\n\nccc\n";
        let lines = Lines::new(text);
        for offset in [0, 5, 2, 10, 1, 6, 3, 7, 0, 9, 4] {
            let expected = text[..offset].matches('\n').count() + 1;
            assert_eq!(lines.line_of(offset), expected, "offset {offset}");
        }
    }
}
