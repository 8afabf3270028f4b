//! Stan's GLM forms (`normal_id_glm`, `bernoulli_logit_glm`,
//! `poisson_log_glm`) are the plain vectorized statements they abbreviate:
//! the same log density and gradient at any point.

use crate::density::compile;
use vippl::infer::Target;

const DATA: &str = r#"{"N": 4, "K": 2, "x": [[0.5, -1.0], [1.5, 0.2], [-0.3, 0.8], [2.0, -0.4]],
 "y": [0.7, 2.1, -0.4, 1.9], "k": [0, 1, 1, 0], "c": [3, 0, 7, 1]}"#;
const HEAD: &str = "data N: int\ndata K: int\ndata x: real[N, K]\ndata y: real[N]\n\
                    data k: int[N]\ndata c: int[N]\nparam a: real\nparam b: real[K]\n\
                    param s: real<lower=0>\n";

fn lp_grad(body: &str, theta: &[f64]) -> (f64, Vec<f64>) {
    let cm = compile(&format!("{HEAD}{body}"), DATA);
    let mut ws = cm.workspace();
    let mut g = vec![0.0; cm.dim()];
    let lp = cm.log_density_and_gradient(&mut ws, theta, &mut g);
    (lp, g)
}

#[test]
fn each_glm_form_is_its_plain_statement() {
    let theta = [0.3, -0.7, 1.2, -0.2];
    let pairs = [
        (
            "y ~ normal_id_glm(x, a, b, s)\n",
            "y ~ normal(a + x * b, s)\n",
        ),
        (
            "k ~ bernoulli_logit_glm(x, a, b)\n",
            "k ~ bernoulli_logit(a + x * b)\n",
        ),
        (
            "c ~ poisson_log_glm(x, a, b)\n",
            "c ~ poisson_log(a + x * b)\n",
        ),
        (
            "target += normal_id_glm_lpdf(y | x, a, b, s)\n",
            "target += normal_lpdf(y | a + x * b, s)\n",
        ),
    ];
    for (glm, plain) in pairs {
        let (l1, g1) = lp_grad(glm, &theta);
        let (l2, g2) = lp_grad(plain, &theta);
        assert!(
            l1.is_finite() && (l1 - l2).abs() < 1e-12,
            "{glm}: {l1} vs {l2}"
        );
        for (u, v) in g1.iter().zip(&g2) {
            assert!((u - v).abs() < 1e-12, "{glm}: {g1:?} vs {g2:?}");
        }
    }
}
