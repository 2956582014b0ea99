// What the three programs printed (build.log holds the consumer build's output).
def log = new File(basedir, 'build.log').text
assert log =~ /(?m)^8 steps in [0-9.]+ s, final loss [0-9.]+$/ : 'the Java program pre-trained 8 steps'
assert log.contains('vectors of 192 and 192 numbers')
assert log =~ /(?m)^epoch 1: mean loss [0-9.]+$/ : 'the Kotlin program pre-trained 2 epochs'
assert log.contains('a vector of 192 numbers')
assert log.contains('zoo: a vector of 128 numbers')
assert log.contains('Criteria: a vector of 96 numbers')
assert log.contains('onnx: a vector of 96 numbers') : 'the ONNX export ran in ONNX Runtime (Java)'
assert log.contains('onnx (Kotlin): 2 vectors of 96 numbers')
assert !log.contains('No SLF4J providers')
assert !log.contains('AutoNonVariableTypeMode')
assert !log.contains('Failed to detect GPU count')
assert new File(basedir, 'runs/java/final.safetensors').isFile()
assert new File(basedir, 'runs/kotlin/final.safetensors').isFile()
return true
