//! Just enough of the ONNX file format (a protobuf `ModelProto`) to read a quantized BERT's weights:
//! the graph's nodes (name, operator, inputs) and its initializers (name, shape, element type, bytes).
//! No operator is run: the graph is read only to learn which weight feeds which matrix product. A
//! corrupt or hostile file gives an error, never a panic or an unbounded allocation (every length is
//! checked against the bytes that are really there).

use std::collections::HashMap;

/// Largest ONNX file read (the models read here are about 34 MB).
pub const MAX_ONNX_BYTES: usize = 256 << 20;

/// ONNX element types this reader understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ElementType {
    F32,
    U8,
    I8,
}

/// One initializer: a constant tensor stored in the file.
#[derive(Debug, Clone)]
pub struct Initializer {
    pub dims: Vec<usize>,
    pub element: ElementType,
    /// Little-endian element bytes, `dims.product() × element size`.
    pub bytes: Vec<u8>,
}

impl Initializer {
    pub fn len(&self) -> usize {
        self.dims.iter().product()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The values as f32 (integers converted as they stand, without scale or zero point).
    pub fn to_f32(&self) -> Vec<f32> {
        match self.element {
            ElementType::F32 => self
                .bytes
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect(),
            ElementType::U8 => self.bytes.iter().map(|&b| b as f32).collect(),
            ElementType::I8 => self.bytes.iter().map(|&b| b as i8 as f32).collect(),
        }
    }
}

/// One node of the graph.
#[derive(Debug, Clone)]
pub struct Node {
    pub name: String,
    pub op: String,
    pub inputs: Vec<String>,
}

/// The parts of a model this reader keeps.
#[derive(Debug, Default)]
pub struct Graph {
    pub nodes: Vec<Node>,
    pub initializers: HashMap<String, Initializer>,
}

/// Parses an ONNX `ModelProto`.
pub fn parse(bytes: &[u8]) -> Result<Graph, String> {
    if bytes.len() > MAX_ONNX_BYTES {
        return Err(format!(
            "{} bytes is more than the {MAX_ONNX_BYTES}-byte limit for a model file",
            bytes.len()
        ));
    }
    let mut graph = Graph::default();
    let mut found = false;
    for field in Fields::new(bytes) {
        let (number, value) = field?;
        // ModelProto.graph = 7
        if number == 7 {
            found = true;
            read_graph(value.bytes()?, &mut graph)?;
        }
    }
    if !found {
        return Err("no graph in the file: not an ONNX model".into());
    }
    Ok(graph)
}

fn read_graph(bytes: &[u8], graph: &mut Graph) -> Result<(), String> {
    for field in Fields::new(bytes) {
        match field? {
            // GraphProto.node = 1
            (1, v) => graph.nodes.push(read_node(v.bytes()?)?),
            // GraphProto.initializer = 5
            (5, v) => {
                let (name, t) = read_tensor(v.bytes()?)?;
                graph.initializers.insert(name, t);
            }
            _ => {}
        }
    }
    Ok(())
}

fn read_node(bytes: &[u8]) -> Result<Node, String> {
    let mut node = Node {
        name: String::new(),
        op: String::new(),
        inputs: vec![],
    };
    for field in Fields::new(bytes) {
        match field? {
            (1, v) => node.inputs.push(v.string()?),
            (3, v) => node.name = v.string()?,
            (4, v) => node.op = v.string()?,
            _ => {}
        }
    }
    Ok(node)
}

fn read_tensor(bytes: &[u8]) -> Result<(String, Initializer), String> {
    let mut name = String::new();
    let mut dims = vec![];
    let mut data_type = 0u64;
    let mut raw: Option<&[u8]> = None;
    let mut floats: Vec<u8> = vec![];
    let mut ints: Vec<u64> = vec![];
    for field in Fields::new(bytes) {
        match field? {
            (1, Value::Varint(d)) => dims.push(d),
            (1, Value::Bytes(b)) => dims.extend(packed_varints(b)?),
            (2, Value::Varint(t)) => data_type = t,
            (4, Value::Bytes(b)) => floats.extend_from_slice(b),
            (4, Value::Fixed32(f)) => floats.extend_from_slice(&f.to_le_bytes()),
            (5, Value::Varint(i)) => ints.push(i),
            (5, Value::Bytes(b)) => ints.extend(packed_varints(b)?),
            (8, v) => name = v.string()?,
            (9, v) => raw = Some(v.bytes()?),
            (13, _) | (14, Value::Varint(1)) => return Err(
                "a tensor keeps its data in an external file; only self-contained models are read"
                    .into(),
            ),
            _ => {}
        }
    }
    let element = match data_type {
        1 => ElementType::F32,
        2 => ElementType::U8,
        3 => ElementType::I8,
        other => {
            return Err(format!(
                "tensor {name}: element type {other} is not read here"
            ))
        }
    };
    let dims: Vec<usize> = dims.into_iter().map(|d| d as usize).collect();
    let count = dims
        .iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .filter(|&c| c <= MAX_ONNX_BYTES)
        .ok_or_else(|| format!("tensor {name}: shape {dims:?} is too large"))?;
    let size = if element == ElementType::F32 { 4 } else { 1 };
    let bytes = match (raw, element) {
        (Some(r), _) => r.to_vec(),
        (None, ElementType::F32) => floats,
        // Small integer tensors may be stored one varint per value in int32_data.
        (None, _) => ints.iter().map(|&v| v as u8).collect(),
    };
    if bytes.len() != count * size {
        return Err(format!(
            "tensor {name}: {} bytes of data for shape {dims:?}",
            bytes.len()
        ));
    }
    Ok((
        name,
        Initializer {
            dims,
            element,
            bytes,
        },
    ))
}

/// A field's value by wire type.
enum Value<'a> {
    Varint(u64),
    Fixed64,
    Bytes(&'a [u8]),
    Fixed32(f32),
}

impl<'a> Value<'a> {
    fn bytes(self) -> Result<&'a [u8], String> {
        match self {
            Value::Bytes(b) => Ok(b),
            _ => Err("a message field has the wrong wire type".into()),
        }
    }
    fn string(self) -> Result<String, String> {
        Ok(String::from_utf8_lossy(self.bytes()?).into_owned())
    }
}

/// Iterates over the (field number, value) pairs of one message.
struct Fields<'a> {
    bytes: &'a [u8],
    pos: usize,
    failed: bool,
}

impl<'a> Fields<'a> {
    fn new(bytes: &'a [u8]) -> Fields<'a> {
        Fields {
            bytes,
            pos: 0,
            failed: false,
        }
    }

    fn varint(&mut self) -> Result<u64, String> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = *self
                .bytes
                .get(self.pos)
                .ok_or("the file ends inside a number")?;
            self.pos += 1;
            v |= ((b & 0x7f) as u64) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err("a number runs past ten bytes".into())
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.bytes.len())
            .ok_or("a field runs past the end of its message (truncated file?)")?;
        let s = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn field(&mut self) -> Result<(u32, Value<'a>), String> {
        let key = self.varint()?;
        let number = (key >> 3) as u32;
        let value = match key & 7 {
            0 => Value::Varint(self.varint()?),
            1 => {
                self.take(8)?;
                Value::Fixed64
            }
            2 => {
                let n = self.varint()? as usize;
                Value::Bytes(self.take(n)?)
            }
            5 => {
                let b = self.take(4)?;
                Value::Fixed32(f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            }
            other => return Err(format!("wire type {other} is not used by ONNX")),
        };
        Ok((number, value))
    }
}

impl<'a> Iterator for Fields<'a> {
    type Item = Result<(u32, Value<'a>), String>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.pos >= self.bytes.len() {
            return None;
        }
        let r = self.field();
        self.failed = r.is_err();
        Some(r)
    }
}

fn packed_varints(bytes: &[u8]) -> Result<Vec<u64>, String> {
    let mut f = Fields::new(bytes);
    let mut out = vec![];
    while f.pos < bytes.len() {
        out.push(f.varint()?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn varint(mut v: u64, out: &mut Vec<u8>) {
        loop {
            let b = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                out.push(b);
                return;
            }
            out.push(b | 0x80);
        }
    }

    fn field(number: u64, payload: &[u8], out: &mut Vec<u8>) {
        varint(number << 3 | 2, out);
        varint(payload.len() as u64, out);
        out.extend_from_slice(payload);
    }

    #[test]
    fn reads_a_small_model_and_refuses_broken_ones() {
        let mut tensor = vec![];
        varint(1 << 3, &mut tensor); // dims 2
        varint(2, &mut tensor);
        varint(2 << 3, &mut tensor); // INT8
        varint(3, &mut tensor);
        field(8, b"w", &mut tensor);
        field(9, &[0xff, 0x02], &mut tensor);
        let mut node = vec![];
        field(1, b"x", &mut node);
        field(1, b"w", &mut node);
        field(3, b"mm", &mut node);
        field(4, b"MatMulInteger", &mut node);
        let mut graph = vec![];
        field(1, &node, &mut graph);
        field(5, &tensor, &mut graph);
        let mut model = vec![];
        varint(1 << 3, &mut model); // ir_version, skipped
        varint(8, &mut model);
        field(7, &graph, &mut model);

        let g = parse(&model).unwrap();
        assert_eq!(g.nodes[0].op, "MatMulInteger");
        assert_eq!(g.nodes[0].inputs, ["x", "w"]);
        assert_eq!(g.initializers["w"].to_f32(), [-1.0, 2.0]);

        for cut in [model.len() - 1, model.len() - 5, 3] {
            assert!(parse(&model[..cut]).is_err(), "cut at {cut}");
        }
        assert!(parse(b"\x08\x01").unwrap_err().contains("no graph"));
    }
}
