//! Run-time values of the engine, shared by the evaluator, the tape and the
//! loop compiler.
//!
//! A value is a small `Copy` handle: constants (data and data-only
//! computations, always `f64`/`i64`) live in flat buffers, and quantities that
//! depend on parameters live on the tape as ranges of slots. Slicing a
//! vector or taking a row of a row-major matrix is a sub-range: no copy, and
//! adjoints flow back into the same slots. The storage of locals
//! ([`LocalValue`]) and of the elements of `var`s ([`Slot`]) is here too.

/// Which constant buffer a [`ConstRef`] points into.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Buf {
    /// Bound data and data-only results computed once at bind time.
    Data,
    /// Per-evaluation scratch, cleared at the start of every evaluation.
    Scratch,
    /// The `f64` copy of the bound int data (same offsets as the ints), so
    /// integer data can be used where reals are expected without copying.
    IntMirror,
    /// An int matrix of bound data (`Value::Mat` only): its elements are the
    /// ints at these offsets, its reals the `IntMirror` at the same offsets.
    /// Promoting it to a real matrix is retagging it `IntMirror`.
    IntMatrix,
}

/// The constant real buffers, for resolving a [`ConstRef`].
#[derive(Clone, Copy)]
pub struct ConstBufs<'a> {
    pub data: &'a [f64],
    pub mirror: &'a [f64],
    pub scratch: &'a [f64],
}

impl<'a> ConstBufs<'a> {
    pub fn get(&self, r: ConstRef) -> &'a [f64] {
        match r.buf {
            Buf::Data => &self.data[r.range()],
            Buf::IntMirror | Buf::IntMatrix => &self.mirror[r.range()],
            Buf::Scratch => &self.scratch[r.range()],
        }
    }
}

/// A range of a constant buffer (reals or ints, depending on the value).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct ConstRef {
    pub buf: Buf,
    pub off: u32,
    pub len: u32,
}

impl ConstRef {
    pub fn new(buf: Buf, off: usize, len: usize) -> ConstRef {
        ConstRef {
            buf,
            off: off as u32,
            len: len as u32,
        }
    }
    pub fn range(self) -> std::ops::Range<usize> {
        self.off as usize..(self.off + self.len) as usize
    }
    pub fn sub(self, start: usize, len: usize) -> ConstRef {
        ConstRef {
            buf: self.buf,
            off: self.off + start as u32,
            len: len as u32,
        }
    }
}

/// A range of tape slots.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct TapeRef {
    pub off: u32,
    pub len: u32,
}

impl TapeRef {
    pub fn new(off: usize, len: usize) -> TapeRef {
        TapeRef {
            off: off as u32,
            len: len as u32,
        }
    }
    pub fn range(self) -> std::ops::Range<usize> {
        self.off as usize..(self.off + self.len) as usize
    }
    pub fn sub(self, start: usize, len: usize) -> TapeRef {
        TapeRef {
            off: self.off + start as u32,
            len: len as u32,
        }
    }
    pub fn at(self, i: usize) -> u32 {
        self.off + i as u32
    }
}

/// A value during evaluation. Matrices are row-major.
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Value {
    Int(i64),
    /// Into the int buffers.
    IntArr(ConstRef),
    Real(f64),
    Vec(ConstRef),
    Mat(ConstRef, u32, u32),
    /// A J×K×L array, row-major (matrix `j` is the `j`-th block of K·L);
    /// in `Buf::IntMatrix` for an int array.
    Arr3(ConstRef, [u32; 3]),
    /// A tape slot.
    TapeReal(u32),
    TapeVec(TapeRef),
    TapeMat(TapeRef, u32, u32),
    TapeArr3(TapeRef, [u32; 3]),
}

/// The shape of a value, for size checks and messages.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Dims {
    Scalar,
    Vector(usize),
    Matrix(usize, usize),
    Array3(usize, usize, usize),
}

impl std::fmt::Display for Dims {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Dims::Scalar => write!(f, "a scalar"),
            Dims::Vector(n) => write!(f, "a vector of length {n}"),
            Dims::Matrix(r, c) => write!(f, "a {r}×{c} matrix"),
            Dims::Array3(j, k, l) => write!(f, "a {j}×{k}×{l} array"),
        }
    }
}

impl Value {
    pub fn dims(&self) -> Dims {
        match *self {
            Value::Int(_) | Value::Real(_) | Value::TapeReal(_) => Dims::Scalar,
            Value::IntArr(r) | Value::Vec(r) => Dims::Vector(r.len as usize),
            Value::TapeVec(r) => Dims::Vector(r.len as usize),
            Value::Mat(_, r, c) | Value::TapeMat(_, r, c) => Dims::Matrix(r as usize, c as usize),
            Value::Arr3(_, [j, k, l]) | Value::TapeArr3(_, [j, k, l]) => {
                Dims::Array3(j as usize, k as usize, l as usize)
            }
        }
    }

    /// Number of scalar elements.
    pub fn len(&self) -> usize {
        element_count(self.dims())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Depends on parameters (lives on the tape).
    pub fn is_var(&self) -> bool {
        matches!(
            self,
            Value::TapeReal(_) | Value::TapeVec(_) | Value::TapeMat(..) | Value::TapeArr3(..)
        )
    }

    pub fn is_scalar(&self) -> bool {
        self.dims() == Dims::Scalar
    }

    pub fn is_int(&self) -> bool {
        matches!(self, Value::Int(_) | Value::IntArr(_))
            || self.is_int_matrix()
            || matches!(self, Value::Arr3(r, _) if r.buf == Buf::IntMatrix)
    }

    /// A matrix of ints (bound `int[N, K]` data or whole rows of it).
    pub fn is_int_matrix(&self) -> bool {
        matches!(self, Value::Mat(r, ..) if r.buf == Buf::IntMatrix)
    }
}

/// Number of elements of a shape.
pub fn element_count(d: Dims) -> usize {
    match d {
        Dims::Scalar => 1,
        Dims::Vector(n) => n,
        Dims::Matrix(r, c) => r * c,
        Dims::Array3(j, k, l) => j * k * l,
    }
}

impl Dims {
    /// The sizes, outermost first (`[]` for a scalar).
    pub fn sizes(self) -> Vec<usize> {
        match self {
            Dims::Scalar => vec![],
            Dims::Vector(n) => vec![n],
            Dims::Matrix(r, c) => vec![r, c],
            Dims::Array3(j, k, l) => vec![j, k, l],
        }
    }

    /// The name of element `i` (row-major) of `name` with this shape:
    /// `y`, `y[3]`, `X[2,1]`, `z[1,2,3]`.
    pub fn element_name(self, name: &str, i: usize) -> String {
        let sizes = self.sizes();
        if sizes.is_empty() {
            return name.to_string();
        }
        let mut rest = i;
        let mut idx = vec![0; sizes.len()];
        for (slot, &n) in idx.iter_mut().zip(&sizes).rev() {
            *slot = rest % n.max(1) + 1;
            rest /= n.max(1);
        }
        let idx: Vec<String> = idx.iter().map(usize::to_string).collect();
        format!("{name}[{}]", idx.join(","))
    }

    /// The shape with these sizes (`None` beyond three dimensions).
    pub fn from_sizes(d: &[usize]) -> Option<Dims> {
        Some(match *d {
            [] => Dims::Scalar,
            [n] => Dims::Vector(n),
            [r, c] => Dims::Matrix(r, c),
            [j, k, l] => Dims::Array3(j, k, l),
            _ => return None,
        })
    }
}

/// The storage of a local variable during one evaluation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum LocalValue {
    Unset,
    /// A `let`, loop variable or function argument.
    Value(Value),
    /// A `var`: its elements live in `slots[off..off + len]`.
    Var {
        off: u32,
        dims: Dims,
        int: bool,
    },
}

/// One element of a `var`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Slot {
    Unset,
    Int(i64),
    Real(f64),
    /// A tape slot.
    Var(u32),
}
