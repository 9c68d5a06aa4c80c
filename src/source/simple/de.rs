//! serde over a parsed [`Node`], as `serde_yaml` reads the same value; where the two could
//! differ (a plain scalar that may be a number, a type this file does not read), it fails
//! and the caller asks `serde_yaml`.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, Visitor};

use super::parse::{Node, Scalar};

/// Any failure: the value is read again by `serde_yaml`, whose error the user sees.
#[derive(Debug)]
pub(crate) struct Fallback;

impl fmt::Display for Fallback {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("left to serde_yaml")
    }
}

impl std::error::Error for Fallback {}

impl de::Error for Fallback {
    fn custom<T: fmt::Display>(_msg: T) -> Self {
        Fallback
    }
}

type Result<T> = std::result::Result<T, Fallback>;

pub(crate) struct De<'n, 'a>(pub(crate) &'n Node<'a>);

/// Null as YAML's core schema resolves a plain scalar (`serde_yaml`'s `parse_null`).
fn is_null(s: &Scalar) -> bool {
    s.plain && matches!(&*s.text, "" | "~" | "null" | "Null" | "NULL")
}

/// A boolean as `serde_yaml` reads a plain scalar.
fn boolean(s: &Scalar) -> Option<bool> {
    if !s.plain {
        return None;
    }
    match &*s.text {
        "true" | "True" | "TRUE" => Some(true),
        "false" | "False" | "FALSE" => Some(false),
        _ => None,
    }
}

/// What `serde_yaml` makes of a scalar where any value may come.
enum Resolved {
    Null,
    Bool(bool),
    Int(u64),
    Str,
    /// Some other number, or a notation the subset does not repeat the rules of.
    Unsure,
}

fn resolve(s: &Scalar) -> Resolved {
    if is_null(s) {
        return Resolved::Null;
    }
    if let Some(b) = boolean(s) {
        return Resolved::Bool(b);
    }
    if let Some(n) = decimal(s) {
        return Resolved::Int(n);
    }
    if s.plain && may_be_number(&s.text) {
        return Resolved::Unsure;
    }
    Resolved::Str
}

/// A plain decimal integer without sign or leading zero that fits in a `u64`: the one
/// kind of number the subset reads itself.
fn decimal(s: &Scalar) -> Option<u64> {
    let t = &*s.text;
    let digits = s.plain
        && (1..=18).contains(&t.len())
        && t.bytes().all(|b| b.is_ascii_digit())
        && (t == "0" || !t.starts_with('0'));
    if digits { t.parse().ok() } else { None }
}

/// Whether `serde_yaml` may read a plain scalar as a number: in hex, octal or binary
/// (after a sign), as Rust reads a float or an integer (after a `+`), or as `.inf` or
/// `.nan` in some spelling. Erring towards yes only leaves more to `serde_yaml`.
fn may_be_number(t: &str) -> bool {
    let unsigned = t.strip_prefix(['+', '-']).unwrap_or(t);
    let lower = unsigned.to_ascii_lowercase();
    let unpositive = t.strip_prefix('+').unwrap_or(t);
    lower.starts_with("0x")
        || lower.starts_with("0o")
        || lower.starts_with("0b")
        || lower.starts_with(".inf")
        || lower.starts_with(".nan")
        || t.parse::<f64>().is_ok()
        || unpositive.parse::<f64>().is_ok()
        || t.parse::<i128>().is_ok()
        || t.parse::<u128>().is_ok()
}

fn visit_text<'de, V: Visitor<'de>>(text: &Cow<'de, str>, visitor: V) -> Result<V::Value> {
    match text {
        Cow::Borrowed(b) => visitor.visit_borrowed_str(b),
        Cow::Owned(o) => visitor.visit_str(o),
    }
}

impl<'de> De<'_, 'de> {
    fn scalar(&self) -> Option<&Scalar<'de>> {
        match self.0 {
            Node::Scalar(s) => Some(s),
            _ => None,
        }
    }

    /// A plain empty scalar: an empty value, which `serde_yaml` takes for an empty map or
    /// list where one is asked for.
    fn is_empty_plain(&self) -> bool {
        self.scalar().is_some_and(|s| s.plain && s.text.is_empty())
    }
}

macro_rules! fall_back {
    ($($method:ident)*) => {
        $(
            fn $method<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value> {
                Err(Fallback)
            }
        )*
    };
}

/// `serde_yaml` reads a plain integer as an `i64` where a signed integer is asked for.
macro_rules! signed {
    ($($method:ident)*) => {
        $(
            fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
                match self.scalar().and_then(decimal).and_then(|n| i64::try_from(n).ok()) {
                    Some(n) => visitor.visit_i64(n),
                    None => Err(Fallback),
                }
            }
        )*
    };
}

/// And as a `u64` where an unsigned one is.
macro_rules! unsigned {
    ($($method:ident)*) => {
        $(
            fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
                match self.scalar().and_then(decimal) {
                    Some(n) => visitor.visit_u64(n),
                    None => Err(Fallback),
                }
            }
        )*
    };
}

impl<'de> de::Deserializer<'de> for De<'_, 'de> {
    type Error = Fallback;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.0 {
            Node::Scalar(s) => match resolve(s) {
                Resolved::Null => visitor.visit_unit(),
                Resolved::Bool(b) => visitor.visit_bool(b),
                Resolved::Int(n) => visitor.visit_u64(n),
                Resolved::Str => visit_text(&s.text, visitor),
                Resolved::Unsure => Err(Fallback),
            },
            Node::Map(_) => self.deserialize_map(visitor),
            Node::Seq(_) => self.deserialize_seq(visitor),
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.scalar().and_then(boolean) {
            Some(b) => visitor.visit_bool(b),
            None => Err(Fallback),
        }
    }

    signed! { deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64 }

    unsigned! { deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64 }

    fall_back! {
        deserialize_i128 deserialize_u128 deserialize_f32 deserialize_f64 deserialize_char
        deserialize_bytes deserialize_byte_buf
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        // Any scalar, as written: `serde_yaml` gives a plain `1.0` or `null` as a string
        // where one is asked for.
        match self.scalar() {
            Some(s) => visit_text(&s.text, visitor),
            None => Err(Fallback),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_str(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.scalar() {
            Some(s) if is_null(s) => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.scalar() {
            Some(s) if is_null(s) => visitor.visit_unit(),
            _ => Err(Fallback),
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        let items: &[Node] = match self.0 {
            Node::Seq(items) => items,
            _ if self.is_empty_plain() => &[],
            _ => return Err(Fallback),
        };
        let mut access = Items(items.iter());
        let value = visitor.visit_seq(&mut access)?;
        // `serde_yaml` refuses a list its visitor did not read to the end.
        if access.0.len() > 0 {
            return Err(Fallback);
        }
        Ok(value)
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        let entries: &[(Node, Node)] = match self.0 {
            Node::Map(entries) => entries,
            _ if self.is_empty_plain() => &[],
            _ => return Err(Fallback),
        };
        let mut access = Entries {
            entries: entries.iter(),
            value: None,
        };
        let value = visitor.visit_map(&mut access)?;
        if access.entries.len() > 0 || access.value.is_some() {
            return Err(Fallback);
        }
        Ok(value)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        self.deserialize_map(visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        // A unit variant written as a scalar; `serde_yaml` wants a tag for any other.
        match self.0 {
            Node::Scalar(_) => visitor.visit_enum(UnitVariant(self.0)),
            _ => Err(Fallback),
        }
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_str(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        visitor.visit_unit()
    }
}

struct Items<'n, 'a>(std::slice::Iter<'n, Node<'a>>);

impl<'de> de::SeqAccess<'de> for Items<'_, 'de> {
    type Error = Fallback;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>> {
        self.0.next().map(|n| seed.deserialize(De(n))).transpose()
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.0.len())
    }
}

struct Entries<'n, 'a> {
    entries: std::slice::Iter<'n, (Node<'a>, Node<'a>)>,
    value: Option<&'n Node<'a>>,
}

impl<'de> de::MapAccess<'de> for Entries<'_, 'de> {
    type Error = Fallback;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>> {
        let Some((key, value)) = self.entries.next() else {
            return Ok(None);
        };
        self.value = Some(value);
        // A key is read as any other value is (serde_yaml does the same).
        seed.deserialize(De(key)).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value> {
        let value = self.value.take().ok_or(Fallback)?;
        seed.deserialize(De(value))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

/// An enum's unit variant, named by a scalar.
struct UnitVariant<'n, 'a>(&'n Node<'a>);

impl<'de> de::EnumAccess<'de> for UnitVariant<'_, 'de> {
    type Error = Fallback;
    type Variant = Self;

    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, Self)> {
        let variant = seed.deserialize(De(self.0))?;
        Ok((variant, self))
    }
}

impl<'de> de::VariantAccess<'de> for UnitVariant<'_, 'de> {
    type Error = Fallback;

    fn unit_variant(self) -> Result<()> {
        Ok(())
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, _seed: T) -> Result<T::Value> {
        Err(Fallback)
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, _visitor: V) -> Result<V::Value> {
        Err(Fallback)
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value> {
        Err(Fallback)
    }
}
