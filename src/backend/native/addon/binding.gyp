# Node-API addon over oneDNN (Debian's libdnnl-dev 2.6, built with the OpenMP runtime, so the
# addon links libgomp too and sets the thread count with omp_set_num_threads).
# Built by scripts/build-native.js; output in build/Release/fmnist_native.node (gitignored).
{
  "targets": [
    {
      "target_name": "fmnist_native",
      "sources": [
        "addon.cc",
        "common.cc",
        "conv2d.cc",
        "conv2d_backprop_input.cc",
        "conv2d_backprop_filter.cc",
        "depthwise_conv2d.cc",
        "depthwise_conv2d_backprop_input.cc",
        "depthwise_conv2d_backprop_filter.cc",
        "max_pool.cc",
        "avg_pool.cc",
        "max_pool_grad.cc",
        "avg_pool_grad.cc",
        "batch_mat_mul.cc",
        "fused_batch_norm.cc",
        "batch_norm_train.cc",
        "softmax.cc",
        "eltwise.cc",
        "sum.cc",
        "binary.cc",
        "unary.cc",
        "activation_grad.cc",
        "adam.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17"],
      # -fno-math-errno: sqrt/log/exp need not set errno, so their loops vectorise (with errno,
      # every NaN result, e.g. sqrt of a negative, takes a libm call: 10x slower).
      "cflags_cc": ["-std=c++17", "-O3", "-fopenmp", "-fexceptions", "-fno-math-errno"],
      "libraries": ["-ldnnl", "-fopenmp"]
    }
  ]
}
