//! Bounding the work of cleaning HTML, whatever the input.
//!
//! html5ever's tree builder and the DOM that ammonia builds are linear for ordinary HTML but
//! not for hostile HTML: every start tag may walk the whole stack of open elements (64,000
//! nested `<div>` cost billions of steps), and inserting before a table walks the parent's
//! children. [`check`] parses the fragment exactly as ammonia will, with a sink that builds
//! no DOM but counts what the tree builder and the DOM would do, and stops as soon as the
//! nesting passes [`MAX_DEPTH`] or the count passes a budget proportional to the input. The
//! input is fed in small chunks, so the work done before stopping is itself bounded.

use std::borrow::Cow;
use std::cell::{Cell, OnceCell, RefCell};
use std::rc::{Rc, Weak};

use html5ever::tendril::{StrTendril, TendrilSink};
use html5ever::tree_builder::{ElementFlags, NodeOrText, QuirksMode, TreeSink};
use html5ever::{Attribute, ExpandedName, QualName, local_name, ns};

use super::TooComplex;

/// The deepest nesting of elements accepted (a Markdown list three levels deep is six).
pub const MAX_DEPTH: usize = 64;

/// Steps allowed per byte of input, and in any case. Ordinary HTML takes 1 to 3 steps a byte
/// (a document nested 30 deep, 1.3); the budget only stops input built to be slow.
const STEPS_PER_BYTE: u64 = 64;
const MIN_STEPS: u64 = 1 << 16;

/// What making one element counts for: cleaning an element costs ammonia about as much as a
/// hundred looks at the stack, and the tree builder can make many elements from few bytes (it
/// copies formatting elements left open into every new paragraph). With [`STEPS_PER_BYTE`],
/// at most about two elements for every three bytes of input.
const ELEMENT_STEPS: u64 = 96;

/// Input is fed to the parser this many bytes at a time, and the limits checked in between.
const CHUNK: usize = 512;

/// Checks that cleaning `html` (parsed as a fragment in a `div`, as ammonia does) stays within
/// [`MAX_DEPTH`] and the step budget.
pub fn check(html: &str) -> Result<(), TooComplex> {
    let budget = MIN_STEPS.saturating_add(STEPS_PER_BYTE.saturating_mul(html.len() as u64));
    let sink = CountingSink {
        steps: Cell::new(0),
        deepest: Cell::new(0),
        document: Node::new(QualName::new(None, ns!(), local_name!(""))),
    };
    let mut parser = html5ever::parse_fragment(
        sink,
        Default::default(),
        QualName::new(None, ns!(html), local_name!("div")),
        vec![],
        false,
    );
    let within = |sink: &CountingSink| {
        // The fragment's elements sit under an `html` element at depth 1.
        if sink.deepest.get() > MAX_DEPTH + 1 {
            Err(TooComplex::TooDeep)
        } else if sink.steps.get() > budget {
            Err(TooComplex::TooTangled)
        } else {
            Ok(())
        }
    };
    let mut start = 0;
    while start < html.len() {
        let mut end = (start + CHUNK).min(html.len());
        while !html.is_char_boundary(end) {
            end += 1;
        }
        parser.process(StrTendril::from_slice(&html[start..end]));
        within(&parser.tokenizer.sink.sink)?;
        start = end;
    }
    within(&parser.tokenizer.sink.sink)
}

/// An element (or comment) as far as counting needs: its name, place and children.
struct Node {
    name: QualName,
    depth: Cell<usize>,
    parent: RefCell<Weak<Node>>,
    children: RefCell<Vec<Rc<Node>>>,
    template_contents: OnceCell<Rc<Node>>,
}

impl Node {
    fn new(name: QualName) -> Rc<Node> {
        Rc::new(Node {
            name,
            depth: Cell::new(0),
            parent: RefCell::new(Weak::new()),
            children: RefCell::new(Vec::new()),
            template_contents: OnceCell::new(),
        })
    }
}

type Handle = Rc<Node>;

/// A [`TreeSink`] that counts a step for every look the tree builder takes at an element
/// (every element on the stack it walks asks for the element's name), for every child that
/// RcDom would scan to find a node's place among its siblings, [`ELEMENT_STEPS`] for every
/// element it makes, and one for every byte of that element's attributes.
struct CountingSink {
    steps: Cell<u64>,
    deepest: Cell<usize>,
    document: Handle,
}

impl CountingSink {
    fn add(&self, steps: u64) {
        self.steps.set(self.steps.get().saturating_add(steps));
    }

    /// Puts `child` last under `parent` (after scanning the parent's children when RcDom would).
    fn place(&self, parent: &Handle, child: NodeOrText<Handle>, scans_siblings: bool) {
        self.add(1);
        if scans_siblings {
            self.add(parent.children.borrow().len() as u64);
        }
        if let NodeOrText::AppendNode(node) = child {
            self.detach(&node);
            let depth = parent.depth.get() + 1;
            node.depth.set(depth);
            self.deepest.set(self.deepest.get().max(depth));
            *node.parent.borrow_mut() = Rc::downgrade(parent);
            parent.children.borrow_mut().push(node);
        }
    }

    fn detach(&self, node: &Handle) {
        let parent = node.parent.borrow().upgrade();
        if let Some(parent) = parent {
            let mut siblings = parent.children.borrow_mut();
            self.add(siblings.len() as u64);
            siblings.retain(|s| !Rc::ptr_eq(s, node));
        }
        *node.parent.borrow_mut() = Weak::new();
    }
}

impl TreeSink for CountingSink {
    type Handle = Handle;
    type Output = ();
    type ElemName<'a> = ExpandedName<'a>;

    fn finish(self) {}

    fn parse_error(&self, _msg: Cow<'static, str>) {}

    fn get_document(&self) -> Handle {
        self.document.clone()
    }

    fn elem_name<'a>(&'a self, target: &'a Handle) -> ExpandedName<'a> {
        self.add(1);
        target.name.expanded()
    }

    fn create_element(&self, name: QualName, attrs: Vec<Attribute>, _: ElementFlags) -> Handle {
        // Every byte of an element's attributes is read again when it is cleaned (a URL is
        // parsed), and the tree builder copies formatting elements with their attributes
        // into each new paragraph: a link with a long address left open is copied thousands
        // of times. So each byte counts.
        let attribute_bytes: usize = attrs.iter().map(|a| a.value.len()).sum();
        self.add(ELEMENT_STEPS + attribute_bytes as u64);
        Node::new(name)
    }

    fn create_comment(&self, _: StrTendril) -> Handle {
        self.add(1);
        Node::new(QualName::new(None, ns!(), local_name!("")))
    }

    fn create_pi(&self, _: StrTendril, _: StrTendril) -> Handle {
        self.add(1);
        Node::new(QualName::new(None, ns!(), local_name!("")))
    }

    fn append(&self, parent: &Handle, child: NodeOrText<Handle>) {
        self.place(parent, child, false);
    }

    fn append_based_on_parent_node(
        &self,
        element: &Handle,
        prev_element: &Handle,
        child: NodeOrText<Handle>,
    ) {
        let has_parent = element.parent.borrow().upgrade().is_some();
        if has_parent {
            self.append_before_sibling(element, child);
        } else {
            self.place(prev_element, child, false);
        }
    }

    fn append_before_sibling(&self, sibling: &Handle, child: NodeOrText<Handle>) {
        let parent = sibling.parent.borrow().upgrade();
        match parent {
            Some(parent) => self.place(&parent, child, true),
            None => self.add(1),
        }
    }

    fn append_doctype_to_document(&self, _: StrTendril, _: StrTendril, _: StrTendril) {}

    fn get_template_contents(&self, target: &Handle) -> Handle {
        self.add(1);
        target
            .template_contents
            .get_or_init(|| {
                let contents = Node::new(target.name.clone());
                contents.depth.set(target.depth.get());
                contents
            })
            .clone()
    }

    fn same_node(&self, x: &Handle, y: &Handle) -> bool {
        self.add(1);
        Rc::ptr_eq(x, y)
    }

    fn set_quirks_mode(&self, _: QuirksMode) {}

    fn add_attrs_if_missing(&self, _: &Handle, _: Vec<Attribute>) {
        self.add(1);
    }

    fn remove_from_parent(&self, target: &Handle) {
        self.add(1);
        self.detach(target);
    }

    fn reparent_children(&self, node: &Handle, new_parent: &Handle) {
        let moved = std::mem::take(&mut *node.children.borrow_mut());
        self.add(moved.len() as u64 + 1);
        let mut children = new_parent.children.borrow_mut();
        for child in moved {
            *child.parent.borrow_mut() = Rc::downgrade(new_parent);
            children.push(child);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_html_passes() {
        let para = "<p>Some <b>bold</b> and <a href=\"/x\">a link</a>.</p>\n";
        assert_eq!(check(&para.repeat(2_000)), Ok(()));
        let nested = format!(
            "{}x{}",
            "<div>".repeat(MAX_DEPTH),
            "</div>".repeat(MAX_DEPTH)
        );
        assert_eq!(check(&nested), Ok(()));
        assert_eq!(check(""), Ok(()));
    }

    #[test]
    fn deep_nesting_is_refused() {
        let n = MAX_DEPTH + 1;
        let nested = format!("{}x{}", "<div>".repeat(n), "</div>".repeat(n));
        assert_eq!(check(&nested), Err(TooComplex::TooDeep));
        // Formatting elements reopened again and again nest just as deep.
        let reopened: String = (0..100).map(|i| format!("<div><b a={i}></div>")).collect();
        assert_eq!(check(&(reopened + "x")), Err(TooComplex::TooDeep));
    }

    #[test]
    fn a_long_address_copied_into_every_paragraph_is_refused() {
        let link = format!(
            "<p><a href=\"https://other.example/{}\">",
            "x".repeat(8_000)
        );
        assert_eq!(
            check(&format!("{link}{}", "<p>x".repeat(4_000))),
            Err(TooComplex::TooTangled)
        );
        // The same link, closed, costs its length once.
        assert_eq!(
            check(&format!("{link}a</a>{}", "<p>x".repeat(4_000))),
            Ok(())
        );
    }

    #[test]
    fn formatting_copied_into_every_paragraph_is_refused() {
        let open = "<p><b><i><u><s><em><strong><code><small><big><tt>";
        assert_eq!(
            check(&format!("{open}{}", "<p>x".repeat(10_000))),
            Err(TooComplex::TooTangled)
        );
        // Dense but ordinary markup passes.
        assert_eq!(check(&"<p>x".repeat(10_000)), Ok(()));
        assert_eq!(
            check(&format!("<table>{}", "<tr><td>x".repeat(5_000))),
            Ok(())
        );
        assert_eq!(check(&"<li><b>x</b> <i>y</i></li>".repeat(2_000)), Ok(()));
    }

    #[test]
    fn quadratic_foster_parenting_is_refused() {
        assert_eq!(
            check(&"<a><table><a>".repeat(4_000)),
            Err(TooComplex::TooTangled)
        );
    }
}
