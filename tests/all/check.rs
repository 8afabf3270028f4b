//! The checker's output (the IR contract), the standard library, the
//! parameter layout, the examples and the `vippl check` command.

use std::path::Path;
use std::process::{Command, Stdio};
use vippl::builtins::Builtin;
use vippl::check::Layout;
use vippl::check::{STDLIB, check, load_model};
use vippl::diagnostics::{Diagnostic, render_short};
use vippl::dist::DistId;
use vippl::ir::{self, DistRef, ExprKind, LocalKind, Model, StmtKind, ValueType};
use vippl::source::SourceMap;

fn model(text: &str) -> (Model, Vec<Diagnostic>, SourceMap) {
    let mut sources = SourceMap::new();
    match load_model(&mut sources, "m.vi", text) {
        Ok((m, w)) => (m, w, sources),
        Err(d) => panic!("does not check:\n{}", render_short(&d, &sources)),
    }
}

fn errors(text: &str) -> Vec<&'static str> {
    let mut sources = SourceMap::new();
    match load_model(&mut sources, "m.vi", text) {
        Ok(_) => Vec::new(),
        Err(d) => d.iter().filter(|d| d.is_error()).map(|d| d.code).collect(),
    }
}

const EIGHT: &str = "data J: int<lower=1>\ndata y: real[J]\ndata sigma: real<lower=0>[J]\nparam mu: real\n\
    param tau: real<lower=0>\nparam eta: real[J]\nmu ~ normal(0, 5)\ntau ~ cauchy(0, 5)\neta ~ std_normal()\n\
    let theta = mu + tau * eta\ny ~ normal(theta, sigma)\n";

#[test]
fn eight_schools_ir() {
    let (m, warnings, sources) = model(EIGHT);
    assert!(warnings.is_empty(), "{}", render_short(&warnings, &sources));
    let names = |v: Vec<&str>| v.into_iter().map(String::from).collect::<Vec<_>>();
    assert_eq!(
        m.data.iter().map(|d| d.name.clone()).collect::<Vec<_>>(),
        names(vec!["J", "y", "sigma"])
    );
    assert_eq!(
        m.params.iter().map(|p| p.name.clone()).collect::<Vec<_>>(),
        names(vec!["mu", "tau", "eta"])
    );
    assert_eq!(m.body.len(), 5);
    assert!(matches!(
        m.body[0].kind,
        StmtKind::Tilde {
            dist: DistRef::Builtin(DistId::Normal),
            ..
        }
    ));
    let StmtKind::Let { local, value } = &m.body[3].kind else {
        panic!("{:?}", m.body[3])
    };
    assert_eq!(value.ty, ValueType::Vector);
    let l = m.local(*local);
    assert_eq!(
        (l.name.as_str(), l.kind, l.top_level, l.function),
        ("theta", LocalKind::Let, true, None)
    );
    assert_eq!(sources.snippet(m.body[4].span), "y ~ normal(theta, sigma)");
    assert!(m.functions.iter().all(|f| f.from_stdlib));
}

#[test]
fn ir_follows_its_documented_conventions() {
    let (m, _, _) = model(
        "data x: real\nparam mu: real\nmu ~ normal(0, 1)\n\
         fn f(a: real) -> real = a + 1\n\
         fn g_lpdf(y: real, s: real) -> real { return -square(y) / s }\n\
         mu ~ g(2)\n\
         let t = true\n\
         target += log_sum_exp([1, 2]) + log_sum_exp(1, 2) + f(x)\n\
         if x > 0 { target += 1 } else if x < 0 { target += 2 } else { target += 3 }\n\
         for i in 1:3 { let k = i }\n",
    );
    let f = m.functions.iter().find(|f| f.name == "f").unwrap();
    assert!(matches!(
        f.body.as_slice(),
        [ir::Stmt {
            kind: StmtKind::Return(_),
            ..
        }]
    ));
    assert_eq!(m.local(f.args[0]).kind, LocalKind::FnArg);
    let g = m.functions.iter().position(|f| f.name == "g_lpdf").unwrap();
    assert!(m.functions[g].is_density && !m.functions[g].from_stdlib);
    assert!(
        matches!(m.body[1].kind, StmtKind::Tilde { dist: DistRef::User(id), .. } if id.index() == g)
    );
    let StmtKind::Let { value, .. } = &m.body[2].kind else {
        panic!()
    };
    assert_eq!(value.kind, ExprKind::Int(1));
    let StmtKind::TargetAdd(sum) = &m.body[3].kind else {
        panic!()
    };
    let mut builtins = Vec::new();
    collect_calls(sum, &mut builtins);
    assert!(builtins.contains(&Builtin::LogSumExp) && builtins.contains(&Builtin::LogSumExp2));
    let StmtKind::If { els, .. } = &m.body[4].kind else {
        panic!()
    };
    assert!(matches!(
        els.as_slice(),
        [ir::Stmt {
            kind: StmtKind::If { .. },
            ..
        }]
    ));
    let StmtKind::For { var, body, .. } = &m.body[5].kind else {
        panic!()
    };
    assert_eq!(m.local(*var).kind, LocalKind::Loop);
    let StmtKind::Let { local, .. } = &body[0].kind else {
        panic!()
    };
    assert!(!m.local(*local).top_level);
}

fn collect_calls(e: &ir::Expr, out: &mut Vec<Builtin>) {
    match &e.kind {
        ExprKind::Call(b, args) => {
            out.push(*b);
            args.iter().for_each(|a| collect_calls(a, out));
        }
        ExprKind::Binary(_, a, b) => {
            collect_calls(a, out);
            collect_calls(b, out);
        }
        _ => {}
    }
}

#[test]
fn typing_rules() {
    let base = "data N: int\ndata K: int\ndata X: real[N, K]\ndata v: real[K]\ndata g: int[N]\n";
    let ok = |e: &str| {
        let text = format!("{base}gen q = {e}\n");
        let errs = errors(&text);
        assert!(errs.is_empty(), "{e}: {errs:?}");
    };
    let bad = |e: &str, code: &str| {
        let errs = errors(&format!("{base}gen q = {e}\n"));
        assert!(errs.contains(&code), "{e}: expected {code}, got {errs:?}");
    };
    ok("X * v");
    ok("X[1] + v");
    ok("X[:, 1] + X[g, 1]");
    ok("v[g] .* v[g]");
    ok("sum(g) %/% 2");
    ok("g + 1.5");
    ok("X[g] * v");
    bad("v * v", "bad-operands");
    bad("v .* 2", "bad-operands");
    bad("X[1, 2, 3]", "bad-index");
    bad("v[1.0]", "bad-index");
    bad("N % 2.0", "bad-operands");
    bad("X * X[1, 1] * g", "shape-mismatch");
    bad("normal_lpdf(v, 0, 1)", "density-needs-bar");
    bad("poisson_lpdf(g | 1)", "density-suffix");
    bad("exp(1, 2)", "wrong-arity");
    bad("normal(0, 1)", "distribution-as-function");
}

#[test]
fn a_model_definition_shadows_the_standard_library() {
    let (m, _, _) =
        model("fn softplus(x: real) -> real = x\nparam a: real\na ~ normal(softplus(1), 1)\n");
    let StmtKind::Tilde { args, .. } = &m.body[0].kind else {
        panic!()
    };
    let ExprKind::CallUser(id, _) = &args[0].kind else {
        panic!("{:?}", args[0])
    };
    assert!(!m.function(*id).from_stdlib);
}

#[test]
fn the_standard_library_checks_and_redefines_no_builtin() {
    let mut sources = SourceMap::new();
    let mut programs = Vec::new();
    for (name, text) in STDLIB {
        let f = sources.add(*name, *text);
        programs.push(
            vippl::syntax::parse(&sources, f)
                .unwrap_or_else(|d| panic!("{}", render_short(&d, &sources))),
        );
    }
    let empty = sources.add("empty.vi", "");
    programs.push(vippl::syntax::parse(&sources, empty).unwrap());
    let (m, diags) = check(&sources, &programs);
    let m = m.unwrap_or_else(|| panic!("{}", render_short(&diags, &sources)));
    // Every library function is there (the GLM forms are built-in
    // distributions now, no longer library functions).
    let names: Vec<&str> = m.functions.iter().map(|f| f.name.as_str()).collect();
    for want in [
        "softplus",
        "log_diff_exp",
        "inv_cloglog",
        "standardize",
        "loglogistic_lpdf",
        "loglogistic_rng",
        "half_normal_lpdf",
        "half_cauchy_lpdf",
        "half_student_t_lpdf",
    ] {
        assert!(names.contains(&want), "{want} missing from {names:?}");
    }
    for f in &m.functions {
        assert!(
            Builtin::lookup(&f.name).next().is_none(),
            "{} is a built-in",
            f.name
        );
        for d in DistId::ALL {
            for s in ["_lpdf", "_lpmf", "_rng", "_cdf", "_lcdf", "_lccdf"] {
                assert_ne!(f.name, format!("{}{s}", d.name()));
            }
        }
    }
    // The rule is enforced: a library file that redefines a built-in is rejected.
    let mut sources = SourceMap::new();
    let lib = sources.add("stdlib/bad.vi", "fn log1p(x: real) -> real = log(1 + x)\n");
    let model = sources.add("m.vi", "");
    let programs = [
        vippl::syntax::parse(&sources, lib).unwrap(),
        vippl::syntax::parse(&sources, model).unwrap(),
    ];
    let (m, diags) = check(&sources, &programs);
    assert!(m.is_none());
    assert_eq!(diags[0].code, "redefines-builtin");
}

#[test]
fn stdlib_functions_are_usable_from_models() {
    let (m, w, s) = model(
        "data N: int\ndata y: real[N]\nparam mu: real\nparam s: real<lower=0>\nmu ~ normal(0, 1)\ns ~ half_normal(1)\n\
         for n in 1:N { y[n] ~ skew_normal(mu, s, 2) }\ngen draw = gumbel_rng(mu, s)\n",
    );
    assert!(w.is_empty(), "{}", render_short(&w, &s));
    assert!(matches!(m.body.last().unwrap().kind, StmtKind::Gen { .. }));
    // A function that draws is allowed only in `gen`.
    assert!(
        errors("param mu: real\nmu ~ normal(gumbel_rng(0, 1), 1)\n").contains(&"rng-outside-gen")
    );
}

fn example_paths() -> Vec<std::path::PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    v.retain(|p| p.extension().is_some_and(|x| x == "vi"));
    v.sort();
    v
}

#[test]
fn every_example_checks_and_has_data() {
    let paths = example_paths();
    assert!(paths.len() >= 8);
    for p in paths {
        let text = std::fs::read_to_string(&p).unwrap();
        let mut sources = SourceMap::new();
        if let Err(d) = load_model(&mut sources, &p.display().to_string(), &text) {
            panic!("{}", render_short(&d, &sources));
        }
        let data = p.with_extension("json");
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&data).unwrap()).unwrap();
        assert!(json.is_object(), "{}", data.display());
    }
}

#[test]
fn layout_counts_unconstrained_coordinates() {
    let (m, _, sources) = model(EIGHT);
    let layout = Layout::of(&m, &sources);
    assert_eq!(layout.total_text(), "J + 2");
    let j8 = |e: &ir::Expr| match e.kind {
        ExprKind::Data(d) if m.data(d).name == "J" => Some(8),
        ExprKind::Int(v) => Some(v),
        _ => None,
    };
    assert_eq!(layout.total(&j8), Some(10));
    assert!(
        layout
            .render(Some(&j8))
            .contains("total dimension: 10 (J + 2)")
    );
    let (m, _, sources) = model(
        "data K: int\nparam w: simplex[K]\nparam L: corr_cholesky[K]\nparam c: ordered[K - 1]\nparam B: real[K, 3]\n\
         w ~ dirichlet(rep_vector(1, K))\nL ~ lkj_corr_cholesky(2)\nc ~ normal(0, 1)\ntarget += sum(B)\n",
    );
    let layout = Layout::of(&m, &sources);
    let texts: Vec<String> = (0..4).map(|i| layout.free_text(i)).collect();
    assert_eq!(texts, ["K - 1", "K*(K-1)/2", "K - 1", "K*3"]);
    assert_eq!(layout.total_text(), "2*K + K*(K-1)/2 + K*3 - 2");
}

fn vippl(args: &[&str], stdin: Option<&str>) -> (i32, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vippl"));
    cmd.args(args).current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    });
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    if let Some(text) = stdin {
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn cli_check_prints_the_layout() {
    let (code, out, err) = vippl(&["check", "examples/eight_schools.vi"], None);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("eta        [J]     -           J"), "{out}");
    assert!(out.contains("total dimension: J + 2"), "{out}");
    assert!(err.is_empty(), "{err}");
    let (code, out, _) = vippl(
        &[
            "check",
            "examples/eight_schools.vi",
            "--data",
            "examples/eight_schools.json",
        ],
        None,
    );
    assert_eq!(code, 0);
    assert!(out.contains("total dimension:"));
}

#[test]
fn cli_check_exit_codes() {
    // A model with errors: 1, every diagnostic on stderr, nothing on stdout.
    let (code, out, err) = vippl(
        &["check", "-"],
        Some("param mu: real\nmu ~ normal(0, sigm)\nlet v = [1] * [2]\n"),
    );
    assert_eq!(code, 1);
    assert!(out.is_empty());
    assert!(
        err.contains("<stdin>:2:16") && err.contains("vector * vector"),
        "{err}"
    );
    // Warnings go to stderr, the layout to stdout, exit 0.
    let (code, out, err) = vippl(&["check", "-"], Some("param mu: real\n"));
    assert_eq!(code, 0);
    assert!(err.contains("flat-prior"), "{err}");
    assert!(out.contains("total dimension: 1"));
    // Missing files: 1.
    assert_eq!(vippl(&["check", "no/such/model.vi"], None).0, 1);
    assert_eq!(
        vippl(
            &[
                "check",
                "examples/eight_schools.vi",
                "--data",
                "no/such.json"
            ],
            None
        )
        .0,
        1
    );
    // Usage errors: 2.
    assert_eq!(vippl(&["check"], None).0, 2);
    assert_eq!(
        vippl(&["check", "examples/eight_schools.vi", "--bogus"], None).0,
        2
    );
    assert_eq!(vippl(&["frobnicate"], None).0, 2);
    assert_eq!(vippl(&[], None).0, 2);
    // Help is not an error.
    let (code, out, _) = vippl(&["check", "--help"], None);
    assert_eq!(code, 0);
    assert!(out.contains("--data"));
}

#[test]
fn stan_type_spellings_are_the_vippl_types() {
    let (m, _, _) = model(
        "data N: int<lower=1>\ndata K: int<lower=1>\ndata X: matrix[N, K]\ndata y: vector[N]\n\
         data r: row_vector<lower=0>[K]\nparam b: vector<lower=-1, upper=1>[K]\n\
         param L: cholesky_factor_corr[K]\nlet xb = X * b\nb ~ normal(r, 1)\n\
         L ~ lkj_corr_cholesky(2)\ny ~ normal(xb + sum(X' * y), 1)\n",
    );
    let tys: Vec<ValueType> = m.data.iter().map(|d| d.ty()).collect();
    assert_eq!(
        tys,
        [
            ValueType::Int,
            ValueType::Int,
            ValueType::Matrix,
            ValueType::Vector,
            ValueType::Vector
        ]
    );
    assert!(m.data[4].bounds.lower.is_some());
    assert_eq!(m.params[0].ty(), ValueType::Vector);
    assert!(matches!(
        &m.params[0].constraint,
        ir::Constraint::Bounded(b) if b.lower.is_some() && b.upper.is_some()
    ));
    assert_eq!(m.params[1].constraint, ir::Constraint::CorrCholesky);
    // A vector has no transpose; the message says what to write instead.
    let mut sources = SourceMap::new();
    let d = load_model(&mut sources, "m.vi", "data x: vector[3]\nlet t = x' * x\n").unwrap_err();
    let text = render_short(&d, &sources);
    assert!(text.contains("dot_product(x, y)"), "{text}");
}
