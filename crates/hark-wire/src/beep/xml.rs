//! The restricted XML of BEEP's channel management and tuning payloads, read and written
//! with `quick-xml`.
//!
//! RFC 3080 restricts the XML exchanged on channel 0: no XML declaration, no `DOCTYPE`, no
//! processing instructions, no entity references other than the five predefined ones
//! (`&lt;` `&gt;` `&amp;` `&apos;` `&quot;`; character references such as `&#60;` are not
//! entity references and are accepted). Anything else is an [`XmlError`], as are
//! documents nested deeper than [`MAX_DEPTH`] and content after the root element.
//! Comments and CDATA sections are allowed. Text keeps its line ends as sent.

use std::io;

use quick_xml::events::{BytesStart, BytesText, Event};
use quick_xml::{Reader, Writer, XmlVersion};

/// Elements nest at most this deep (channel-0 messages need 2).
pub const MAX_DEPTH: usize = 8;

/// Why a channel-0 or tuning payload is not acceptable XML, or not the expected message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum XmlError {
    /// The document carries an XML declaration (`<?xml ...?>`).
    #[error("BEEP XML must not carry an XML declaration")]
    XmlDeclaration,
    /// The document carries a `DOCTYPE`.
    #[error("BEEP XML must not carry a DOCTYPE")]
    Doctype,
    /// The document carries a processing instruction.
    #[error("BEEP XML must not carry processing instructions")]
    ProcessingInstruction,
    /// An entity reference other than the five predefined ones.
    #[error("BEEP XML may use only the five predefined entities, not &{0};")]
    UnknownEntity(String),
    /// The bytes are not well-formed XML (as quick-xml reports it), or not UTF-8.
    #[error("malformed XML at byte {position}: {reason}")]
    Malformed {
        /// Where the reader stopped.
        position: u64,
        /// What was wrong.
        reason: String,
    },
    /// No root element.
    #[error("empty XML document")]
    NoRoot,
    /// Anything but whitespace or comments after the root element, or text before it.
    #[error("content outside the root element")]
    OutsideRoot,
    /// Elements nested deeper than [`MAX_DEPTH`].
    #[error("XML nested deeper than {MAX_DEPTH} elements")]
    TooDeep,
    /// An element that has no place there.
    #[error("unexpected element <{found}>: expected {expected}")]
    UnexpectedElement {
        /// The element found.
        found: String,
        /// What the message's grammar allows there.
        expected: &'static str,
    },
    /// Non-whitespace text where the grammar allows none.
    #[error("unexpected text in <{element}>")]
    UnexpectedText {
        /// The element that contains it.
        element: &'static str,
    },
    /// A required attribute is missing.
    #[error("<{element}> lacks its {attribute} attribute")]
    MissingAttribute {
        /// The element.
        element: &'static str,
        /// The attribute.
        attribute: &'static str,
    },
    /// An attribute's value is out of its range or not of its form.
    #[error("<{element}> has a bad {attribute} attribute: {value:?}")]
    BadAttribute {
        /// The element.
        element: &'static str,
        /// The attribute.
        attribute: &'static str,
        /// The value found.
        value: String,
    },
    /// Piggybacked profile content longer than 4096 octets (RFC 3080 section 2.3.1.2).
    #[error("piggybacked profile content of {len} octets exceeds 4096")]
    PiggybackTooLong {
        /// Its length.
        len: usize,
    },
    /// Content declared base64 that is not.
    #[error("content is not valid base64")]
    BadBase64,
    /// A value handed to emit that cannot be written as BEEP XML (a piggyback over 4K, a
    /// code that is not three digits, an out-of-range number).
    #[error("cannot emit: {0}")]
    CannotEmit(&'static str),
    /// The output buffer is too small.
    #[error("buffer too small: {required} bytes required")]
    BufferTooSmall {
        /// How many bytes the payload needs.
        required: usize,
    },
}

/// A parsed element: name, attributes (values unescaped and normalized) and children.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Element {
    pub(crate) name: String,
    pub(crate) attrs: Vec<(String, String)>,
    pub(crate) children: Vec<Node>,
}

/// A child of an element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Node {
    Element(Element),
    Text(String),
}

impl Element {
    pub(crate) fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    pub(crate) fn elements(&self) -> impl Iterator<Item = &Element> {
        self.children.iter().filter_map(|node| match node {
            Node::Element(element) => Some(element),
            Node::Text(_) => None,
        })
    }

    /// All text children, concatenated.
    pub(crate) fn text(&self) -> String {
        let mut out = String::new();
        for node in &self.children {
            if let Node::Text(text) = node {
                out.push_str(text);
            }
        }
        out
    }

    /// Fails unless every child is an element named `child` or whitespace.
    pub(crate) fn only_children(
        &self,
        element: &'static str,
        child: &'static str,
    ) -> Result<(), XmlError> {
        for node in &self.children {
            match node {
                Node::Element(e) if e.name == child => {}
                Node::Element(e) => {
                    return Err(XmlError::UnexpectedElement {
                        found: e.name.clone(),
                        expected: child,
                    });
                }
                Node::Text(t) if t.trim().is_empty() => {}
                Node::Text(_) => return Err(XmlError::UnexpectedText { element }),
            }
        }
        Ok(())
    }

    /// Fails unless the element has no child elements (text is allowed).
    pub(crate) fn no_child_elements(&self) -> Result<(), XmlError> {
        match self.elements().next() {
            Some(e) => Err(XmlError::UnexpectedElement {
                found: e.name.clone(),
                expected: "text only",
            }),
            None => Ok(()),
        }
    }

    /// Fails unless the element is empty (whitespace aside).
    pub(crate) fn empty(&self, element: &'static str) -> Result<(), XmlError> {
        self.no_child_elements()?;
        if self.text().trim().is_empty() {
            Ok(())
        } else {
            Err(XmlError::UnexpectedText { element })
        }
    }
}

fn malformed(reader: &Reader<&[u8]>, reason: impl ToString) -> XmlError {
    XmlError::Malformed {
        position: reader.buffer_position(),
        reason: reason.to_string(),
    }
}

fn element_from(reader: &Reader<&[u8]>, start: &BytesStart<'_>) -> Result<Element, XmlError> {
    let name = core::str::from_utf8(start.name().as_ref())
        .map_err(|e| malformed(reader, e))?
        .to_owned();
    let mut attrs = Vec::new();
    for attr in start.attributes() {
        let attr = attr.map_err(|e| malformed(reader, e))?;
        let key = core::str::from_utf8(attr.key.as_ref())
            .map_err(|e| malformed(reader, e))?
            .to_owned();
        let value =
            attr.normalized_value(XmlVersion::Implicit1_0)
                .map_err(|e| match e {
                    quick_xml::Error::Escape(
                        quick_xml::escape::EscapeError::UnrecognizedEntity(_, name),
                    ) => XmlError::UnknownEntity(name),
                    other => malformed(reader, other),
                })?
                .into_owned();
        attrs.push((key, value));
    }
    Ok(Element {
        name,
        attrs,
        children: Vec::new(),
    })
}

/// Parses a whole document under the restrictions above into its root element.
pub(crate) fn parse_document(bytes: &[u8]) -> Result<Element, XmlError> {
    let mut reader = Reader::from_reader(bytes);
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    loop {
        let event = reader.read_event().map_err(|e| match e {
            quick_xml::Error::Escape(quick_xml::escape::EscapeError::UnrecognizedEntity(
                _,
                name,
            )) => XmlError::UnknownEntity(name),
            other => malformed(&reader, other),
        })?;
        let text = match event {
            Event::Decl(_) => return Err(XmlError::XmlDeclaration),
            Event::DocType(_) => return Err(XmlError::Doctype),
            Event::PI(_) => return Err(XmlError::ProcessingInstruction),
            Event::Comment(_) => continue,
            Event::Eof => break,
            Event::Start(start) | Event::Empty(start) if root.is_some() => {
                let _ = start;
                return Err(XmlError::OutsideRoot);
            }
            Event::Start(start) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(XmlError::TooDeep);
                }
                stack.push(element_from(&reader, &start)?);
                continue;
            }
            Event::Empty(start) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(XmlError::TooDeep);
                }
                let element = element_from(&reader, &start)?;
                attach(&mut stack, &mut root, element);
                continue;
            }
            Event::End(_) => {
                // quick-xml checks that the end tag matches the open one.
                let element = stack
                    .pop()
                    .ok_or_else(|| malformed(&reader, "unmatched end tag"))?;
                attach(&mut stack, &mut root, element);
                continue;
            }
            Event::Text(text) => text
                .decode()
                .map_err(|e| malformed(&reader, e))?
                .into_owned(),
            Event::CData(cdata) => cdata
                .decode()
                .map_err(|e| malformed(&reader, e))?
                .into_owned(),
            Event::GeneralRef(reference) => {
                let resolved = if reference.is_char_ref() {
                    reference
                        .resolve_char_ref()
                        .map_err(|e| malformed(&reader, e))?
                } else {
                    let name = reference.decode().map_err(|e| malformed(&reader, e))?;
                    match &*name {
                        "lt" => Some('<'),
                        "gt" => Some('>'),
                        "amp" => Some('&'),
                        "apos" => Some('\''),
                        "quot" => Some('"'),
                        other => return Err(XmlError::UnknownEntity(other.to_owned())),
                    }
                };
                resolved
                    .ok_or_else(|| malformed(&reader, "bad character reference"))?
                    .to_string()
            }
        };
        match stack.last_mut() {
            Some(parent) => match parent.children.last_mut() {
                Some(Node::Text(previous)) => previous.push_str(&text),
                _ => parent.children.push(Node::Text(text)),
            },
            None if text.trim().is_empty() => {}
            None => return Err(XmlError::OutsideRoot),
        }
    }
    if !stack.is_empty() {
        return Err(malformed(&reader, "unclosed element"));
    }
    root.ok_or(XmlError::NoRoot)
}

fn attach(stack: &mut [Element], root: &mut Option<Element>, element: Element) {
    match stack.last_mut() {
        Some(parent) => parent.children.push(Node::Element(element)),
        None => *root = Some(element),
    }
}

/// Writes BEEP XML in the RFC's layout: single-quoted attributes, `<empty />` with a
/// space before the slash, CR LF line ends.
pub(crate) struct XmlOut<W: io::Write> {
    writer: Writer<W>,
}

impl<W: io::Write> XmlOut<W> {
    pub(crate) fn new(inner: W) -> Self {
        let mut writer = Writer::new(inner);
        writer.config_mut().add_space_before_slash_in_empty_elements = true;
        Self { writer }
    }

    fn tag(name: &str, attrs: &[(&str, &str)]) -> BytesStart<'static> {
        let mut content = String::from(name);
        for (key, value) in attrs {
            content.push(' ');
            content.push_str(key);
            content.push_str("='");
            // Tabs and line ends become character references: written raw, attribute-value
            // normalization would turn them into spaces.
            for c in value.chars() {
                match c {
                    '\t' => content.push_str("&#9;"),
                    '\r' => content.push_str("&#13;"),
                    '\n' => content.push_str("&#10;"),
                    '<' => content.push_str("&lt;"),
                    '>' => content.push_str("&gt;"),
                    '&' => content.push_str("&amp;"),
                    '\'' => content.push_str("&apos;"),
                    '"' => content.push_str("&quot;"),
                    c => content.push(c),
                }
            }
            content.push('\'');
        }
        BytesStart::from_content(content, name.len())
    }

    pub(crate) fn empty(&mut self, name: &str, attrs: &[(&str, &str)]) -> io::Result<()> {
        self.writer
            .write_event(Event::Empty(Self::tag(name, attrs)))
    }

    pub(crate) fn start(&mut self, name: &str, attrs: &[(&str, &str)]) -> io::Result<()> {
        self.writer
            .write_event(Event::Start(Self::tag(name, attrs)))
    }

    pub(crate) fn end(&mut self, name: &str) -> io::Result<()> {
        self.writer
            .write_event(Event::End(quick_xml::events::BytesEnd::new(
                name.to_owned(),
            )))
    }

    /// Escaped text.
    pub(crate) fn text(&mut self, text: &str) -> io::Result<()> {
        self.writer.write_event(Event::Text(BytesText::new(text)))
    }

    /// Text as a CDATA section when it can be one (no `]]>` inside), escaped otherwise.
    pub(crate) fn cdata_or_text(&mut self, text: &str) -> io::Result<()> {
        if text.contains("]]>") {
            self.text(text)
        } else {
            self.writer
                .write_event(Event::CData(quick_xml::events::BytesCData::new(text)))
        }
    }

    pub(crate) fn raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.writer.get_mut().write_all(bytes)
    }
}

/// An `io::Write` that only counts.
#[derive(Default)]
pub(crate) struct Counter(pub(crate) usize);

impl io::Write for Counter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Measures what `write` produces, then writes it into `buf` if it fits.
pub(crate) fn emit_with(
    buf: &mut [u8],
    write: impl Fn(&mut XmlOut<&mut dyn io::Write>) -> io::Result<()>,
) -> Result<usize, XmlError> {
    let required = measure(&write);
    if buf.len() < required {
        return Err(XmlError::BufferTooSmall { required });
    }
    let mut cursor: &mut [u8] = buf;
    let sink: &mut dyn io::Write = &mut cursor;
    write(&mut XmlOut::new(sink)).map_err(|_| XmlError::BufferTooSmall { required })?;
    Ok(required)
}

/// The length of what `write` produces.
pub(crate) fn measure(write: &impl Fn(&mut XmlOut<&mut dyn io::Write>) -> io::Result<()>) -> usize {
    let mut counter = Counter::default();
    let sink: &mut dyn io::Write = &mut counter;
    // Writing to a counter cannot fail.
    let _ = write(&mut XmlOut::new(sink));
    counter.0
}
