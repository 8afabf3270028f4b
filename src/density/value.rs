//! Run-time values of the evaluator.
//!
//! A value is a small `Copy` handle: constants (data and data-only
//! computations, always `f64`/`i64`) live in flat buffers, and quantities that
//! depend on parameters live on the tape as ranges of slots. Slicing a
//! vector or taking a row of a row-major matrix is a sub-range: no copy, and
//! adjoints flow back into the same slots.

/// Which constant buffer a [`CRef`] points into.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Buf {
    /// Bound data and data-only results computed once at bind time.
    Data,
    /// Per-evaluation scratch, cleared at the start of every evaluation.
    Scratch,
    /// The `f64` copy of the bound int data (same offsets as the ints), so
    /// integer data can be used where reals are expected without copying.
    IntMirror,
}

/// The constant real buffers, for resolving a [`CRef`].
#[derive(Clone, Copy)]
pub struct ConstBufs<'a> {
    pub data: &'a [f64],
    pub mirror: &'a [f64],
    pub scratch: &'a [f64],
}

impl<'a> ConstBufs<'a> {
    pub fn get(&self, r: CRef) -> &'a [f64] {
        match r.buf {
            Buf::Data => &self.data[r.range()],
            Buf::IntMirror => &self.mirror[r.range()],
            Buf::Scratch => &self.scratch[r.range()],
        }
    }
}

/// A range of a constant buffer (reals or ints, depending on the value).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct CRef {
    pub buf: Buf,
    pub off: u32,
    pub len: u32,
}

impl CRef {
    pub fn new(buf: Buf, off: usize, len: usize) -> CRef {
        CRef {
            buf,
            off: off as u32,
            len: len as u32,
        }
    }
    pub fn range(self) -> std::ops::Range<usize> {
        self.off as usize..(self.off + self.len) as usize
    }
    pub fn sub(self, start: usize, len: usize) -> CRef {
        CRef {
            buf: self.buf,
            off: self.off + start as u32,
            len: len as u32,
        }
    }
}

/// A range of tape slots.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct VRef {
    pub off: u32,
    pub len: u32,
}

impl VRef {
    pub fn new(off: usize, len: usize) -> VRef {
        VRef {
            off: off as u32,
            len: len as u32,
        }
    }
    pub fn range(self) -> std::ops::Range<usize> {
        self.off as usize..(self.off + self.len) as usize
    }
    pub fn sub(self, start: usize, len: usize) -> VRef {
        VRef {
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
pub enum Val {
    Int(i64),
    /// Into the int buffers.
    IntArr(CRef),
    Real(f64),
    Vec(CRef),
    Mat(CRef, u32, u32),
    /// A tape slot.
    VReal(u32),
    VVec(VRef),
    VMat(VRef, u32, u32),
}

/// The shape of a value, for size checks and messages.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Dims {
    Scalar,
    Vector(usize),
    Matrix(usize, usize),
}

impl std::fmt::Display for Dims {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Dims::Scalar => write!(f, "a scalar"),
            Dims::Vector(n) => write!(f, "a vector of length {n}"),
            Dims::Matrix(r, c) => write!(f, "a {r}×{c} matrix"),
        }
    }
}

impl Val {
    pub fn dims(&self) -> Dims {
        match *self {
            Val::Int(_) | Val::Real(_) | Val::VReal(_) => Dims::Scalar,
            Val::IntArr(r) | Val::Vec(r) => Dims::Vector(r.len as usize),
            Val::VVec(r) => Dims::Vector(r.len as usize),
            Val::Mat(_, r, c) | Val::VMat(_, r, c) => Dims::Matrix(r as usize, c as usize),
        }
    }

    /// Number of scalar elements.
    pub fn len(&self) -> usize {
        match self.dims() {
            Dims::Scalar => 1,
            Dims::Vector(n) => n,
            Dims::Matrix(r, c) => r * c,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Depends on parameters (lives on the tape).
    pub fn is_var(&self) -> bool {
        matches!(self, Val::VReal(_) | Val::VVec(_) | Val::VMat(..))
    }

    pub fn is_scalar(&self) -> bool {
        self.dims() == Dims::Scalar
    }

    pub fn is_int(&self) -> bool {
        matches!(self, Val::Int(_) | Val::IntArr(_))
    }
}
