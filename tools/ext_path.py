# tools/ext_path.py: prints the path that an in-place build of idiokit._core
# gets with the running interpreter (idiokit/_core.so on 2.7,
# idiokit/_core.cpython-311-x86_64-linux-gnu.so on 3.11, ...).
import sysconfig

print("idiokit/_core" + (sysconfig.get_config_var("EXT_SUFFIX") or sysconfig.get_config_var("SO")))
