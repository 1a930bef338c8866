/* The public functions' first step, in C: multiact._dispatcher.Dispatcher.
 *
 * A one-element call's cost is mostly what surrounds the kernel: in Python, the frame of the
 * public function, its backend lookup and its dtype check cost 250-370 ns against PyTorch's
 * 1.1-1.3 us builtins. A Dispatcher holds the public function and tables learned from it:
 *
 *     table: type(x) -> None               (this array type always takes the public function)
 *                    -> {dtype: kernel}    (a kernel the backend computes x alone with, or the
 *                                           public function itself: its dtype takes the full path)
 *     calls: keyword -> None               (calls with this parameter take the public function)
 *                    -> {value: (type(value), None | {type(x): None | {dtype: call}})}
 *
 * A call f(x) whose type and dtype are in the table calls the kernel directly (a dict lookup,
 * x.dtype, a dict lookup: about 60 ns). A call with one parameter besides x, f(x, value) or
 * f(x, keyword=value) (keyword None for the positional one), looks its keyword and value up in
 * calls (the value's type must match too: 1 == 1.0 == True) and then x's type and dtype as
 * above; a call found there is (kernel, arguments) or (kernel, arguments, kwnames): the kernel
 * called with x followed by the arguments, the last len(kwnames) of them by keyword.
 *
 * Every other call (more parameters, a type, dtype, keyword or value not seen yet) is the public
 * function's; after a call with x alone or one parameter returns, learn(x) or learn(x, value,
 * keyword) (Python: multiact/_dispatch.py) adds what the call taught. A kernel that raises is not
 * the answer: its dtype is marked for the public function, which computes or words the error,
 * as the generated functions treat Backend.AT_DEFAULTS.
 *
 * Everything else about the object (its name, docstring, __wrapped__, pickling) is set from
 * Python in its instance dict.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stddef.h>

/* The most parameters a learned call passes after x. */
#define MAX_CALL_ARGUMENTS 8

typedef struct {
    PyObject_HEAD
    vectorcallfunc vectorcall;
    PyObject *function; /* the Python public function */
    PyObject *learn;    /* called after the function returned, on a miss (see above) */
    PyObject *table;    /* calls with x alone: type -> None | {dtype: kernel} */
    PyObject *calls;    /* calls with one parameter: keyword -> None | {value: ...} */
    PyObject *dict;
    PyObject *weakrefs; /* jax.jit and functools caches hold functions weakly */
} Dispatcher;

static PyObject *dtype_name; /* "dtype", interned */

/* The public function; then, where learn is true, what the call teaches. */
static PyObject *
full_call(Dispatcher *self, PyObject *const *args, size_t nargsf, PyObject *kwnames, int learn)
{
    PyObject *result = PyObject_Vectorcall(self->function, args, nargsf, kwnames);
    if (result == NULL || !learn) {
        return result;
    }
    PyObject *learned;
    if (PyVectorcall_NARGS(nargsf) == 1 && kwnames == NULL) {
        learned = PyObject_CallOneArg(self->learn, args[0]);
    }
    else {
        PyObject *keyword = kwnames == NULL ? Py_None : PyTuple_GET_ITEM(kwnames, 0);
        learned = PyObject_CallFunctionObjArgs(self->learn, args[0], args[1], keyword, NULL);
    }
    if (learned == NULL) {
        Py_DECREF(result);
        return NULL;
    }
    Py_DECREF(learned);
    return result;
}

/* kernel(x) where kernel is a callable, or a learned call (kernel, arguments[, kwnames]). */
static PyObject *
call_kernel(PyObject *kernel, PyObject *x)
{
    if (!PyTuple_CheckExact(kernel)) {
        return PyObject_CallOneArg(kernel, x);
    }
    Py_ssize_t size = PyTuple_GET_SIZE(kernel);
    PyObject *arguments = size >= 2 ? PyTuple_GET_ITEM(kernel, 1) : NULL;
    PyObject *kwnames = size == 3 ? PyTuple_GET_ITEM(kernel, 2) : NULL;
    if ((size != 2 && size != 3) || !PyTuple_CheckExact(arguments) ||
        PyTuple_GET_SIZE(arguments) > MAX_CALL_ARGUMENTS ||
        (kwnames != NULL && (!PyTuple_CheckExact(kwnames) ||
                             PyTuple_GET_SIZE(kwnames) > PyTuple_GET_SIZE(arguments)))) {
        PyErr_SetString(PyExc_ValueError, "Dispatcher: a learned call is (kernel, arguments) "
                                          "or (kernel, arguments, keywords)");
        return NULL; /* an Exception: the call goes to the function */
    }
    if (kwnames != NULL && PyTuple_GET_SIZE(kwnames) == 0) {
        kwnames = NULL; /* vectorcall's "no keywords" */
    }
    PyObject *callable = PyTuple_GET_ITEM(kernel, 0);
    Py_ssize_t n = PyTuple_GET_SIZE(arguments);
    PyObject *stack[1 + MAX_CALL_ARGUMENTS];
    stack[0] = x;
    for (Py_ssize_t i = 0; i < n; i++) {
        stack[1 + i] = PyTuple_GET_ITEM(arguments, i);
    }
    Py_ssize_t positional = 1 + n - (kwnames == NULL ? 0 : PyTuple_GET_SIZE(kwnames));
    return PyObject_Vectorcall(callable, stack, positional, kwnames);
}

/* The call through table (type -> None | {dtype: kernel or call}), or the function's. */
static PyObject *
table_call(Dispatcher *self, PyObject *table, PyObject *const *args, size_t nargsf,
           PyObject *kwnames)
{
    PyObject *per_dtype = PyDict_GetItemWithError(table, (PyObject *)Py_TYPE(args[0]));
    if (per_dtype == NULL) {
        return PyErr_Occurred() ? NULL : full_call(self, args, nargsf, kwnames, 1);
    }
    if (!PyDict_CheckExact(per_dtype)) { /* None: this type takes the function */
        return full_call(self, args, nargsf, kwnames, 0);
    }
    Py_INCREF(per_dtype); /* x.dtype and the kernel may run Python code that clears the table */
    PyObject *result = NULL;
    PyObject *dtype = PyObject_GetAttr(args[0], dtype_name);
    if (dtype == NULL) {
        goto done;
    }
    PyObject *kernel = PyDict_GetItemWithError(per_dtype, dtype);
    if (kernel == NULL) {
        result = PyErr_Occurred() ? NULL : full_call(self, args, nargsf, kwnames, 1);
        goto done;
    }
    if (kernel == self->function) {
        result = full_call(self, args, nargsf, kwnames, 0);
        goto done;
    }
    Py_INCREF(kernel); /* the table may change while it runs */
    result = call_kernel(kernel, args[0]);
    Py_DECREF(kernel);
    if (result == NULL && PyErr_ExceptionMatches(PyExc_Exception)) {
        /* Not multiact's answer: the public function words it (or computes it another way);
           this dtype goes to it from now on. */
        PyErr_Clear();
        if (PyDict_SetItem(per_dtype, dtype, self->function) == 0) {
            result = full_call(self, args, nargsf, kwnames, 0);
        }
    }
done:
    Py_XDECREF(dtype);
    Py_DECREF(per_dtype);
    return result;
}

/* f(x, value) or f(x, keyword=value): through calls, or the function's. */
static PyObject *
parameter_call(Dispatcher *self, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    PyObject *keyword = kwnames == NULL ? Py_None : PyTuple_GET_ITEM(kwnames, 0);
    PyObject *by_value = PyDict_GetItemWithError(self->calls, keyword);
    if (by_value == NULL) {
        return PyErr_Occurred() ? NULL : full_call(self, args, nargsf, kwnames, 1);
    }
    if (by_value == Py_None) {
        return full_call(self, args, nargsf, kwnames, 0);
    }
    PyObject *value = args[1];
    Py_INCREF(by_value); /* the value's __hash__ and __eq__ may run Python code */
    PyObject *entry = PyDict_GetItemWithError(by_value, value);
    Py_XINCREF(entry);
    Py_DECREF(by_value);
    if (entry == NULL) {
        if (!PyErr_Occurred()) {
            return full_call(self, args, nargsf, kwnames, 1);
        }
        if (!PyErr_ExceptionMatches(PyExc_TypeError)) {
            return NULL;
        }
        PyErr_Clear(); /* unhashable (an array): the function's, every time */
        return full_call(self, args, nargsf, kwnames, 0);
    }
    PyObject *result;
    if (!PyTuple_CheckExact(entry) || PyTuple_GET_SIZE(entry) != 2 ||
        PyTuple_GET_ITEM(entry, 0) != (PyObject *)Py_TYPE(value) ||
        !PyDict_CheckExact(PyTuple_GET_ITEM(entry, 1))) {
        result = full_call(self, args, nargsf, kwnames, 0); /* 1 for 1.0, True for 1... */
    }
    else {
        result = table_call(self, PyTuple_GET_ITEM(entry, 1), args, nargsf, kwnames);
    }
    Py_DECREF(entry);
    return result;
}

static PyObject *
dispatcher_vectorcall(PyObject *op, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    Dispatcher *self = (Dispatcher *)op;
    Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
    Py_ssize_t nkw = kwnames == NULL ? 0 : PyTuple_GET_SIZE(kwnames);
    if (nargs == 1 && nkw == 0) {
        return table_call(self, self->table, args, nargsf, NULL);
    }
    if (nargs + nkw == 2 && nargs >= 1) {
        return parameter_call(self, args, nargsf, nkw ? kwnames : NULL);
    }
    return PyObject_Vectorcall(self->function, args, nargsf, kwnames);
}

static PyObject *
dispatcher_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    static char *keywords[] = {"function", "learn", "table", "calls", NULL};
    PyObject *function, *learn, *table, *calls = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOO!|O!:Dispatcher", keywords, &function,
                                     &learn, &PyDict_Type, &table, &PyDict_Type, &calls)) {
        return NULL;
    }
    if (!PyCallable_Check(function) || !PyCallable_Check(learn)) {
        PyErr_SetString(PyExc_TypeError, "Dispatcher: function and learn must be callables");
        return NULL;
    }
    Dispatcher *self = (Dispatcher *)type->tp_alloc(type, 0);
    if (self == NULL) {
        return NULL;
    }
    self->vectorcall = dispatcher_vectorcall;
    self->function = Py_NewRef(function);
    self->learn = Py_NewRef(learn);
    self->table = Py_NewRef(table);
    self->calls = calls == NULL ? PyDict_New() : Py_NewRef(calls);
    if (self->calls == NULL) {
        Py_DECREF(self);
        return NULL;
    }
    return (PyObject *)self;
}

static int
dispatcher_traverse(Dispatcher *self, visitproc visit, void *arg)
{
    Py_VISIT(self->function);
    Py_VISIT(self->learn);
    Py_VISIT(self->table);
    Py_VISIT(self->calls);
    Py_VISIT(self->dict);
    return 0;
}

static int
dispatcher_clear(Dispatcher *self)
{
    Py_CLEAR(self->function);
    Py_CLEAR(self->learn);
    Py_CLEAR(self->table);
    Py_CLEAR(self->calls);
    Py_CLEAR(self->dict);
    return 0;
}

static void
dispatcher_dealloc(Dispatcher *self)
{
    PyObject_GC_UnTrack(self);
    if (self->weakrefs != NULL) {
        PyObject_ClearWeakRefs((PyObject *)self);
    }
    dispatcher_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *
dispatcher_repr(Dispatcher *self)
{
    return PyObject_Repr(self->function);
}

static PyObject *
dispatcher_get_table(Dispatcher *self, void *closure)
{
    return Py_NewRef(self->table);
}

static PyObject *
dispatcher_get_calls(Dispatcher *self, void *closure)
{
    return Py_NewRef(self->calls);
}

/* isinstance(dispatcher, types.FunctionType) is True, as for wrapt's ObjectProxy: code that
   tells functions from other objects (Keras's serialisation saves a function by its name,
   anything else by its class) takes it for the function it stands in front of. Whatever looks
   inside it (__code__, __globals__, __defaults__: copied into its dict) finds that function's. */
static PyObject *
dispatcher_get_class(Dispatcher *self, void *closure)
{
    return Py_NewRef((PyObject *)Py_TYPE(self->function));
}

static PyGetSetDef dispatcher_getset[] = {
    {"__dict__", PyObject_GenericGetDict, PyObject_GenericSetDict, NULL, NULL},
    {"__class__", (getter)dispatcher_get_class, NULL, "the class of the function", NULL},
    {"table", (getter)dispatcher_get_table, NULL, "type -> None | {dtype: kernel}", NULL},
    {"calls", (getter)dispatcher_get_calls, NULL,
     "keyword -> None | {value: (type(value), None | {type: None | {dtype: call}})}", NULL},
    {NULL},
};

static PyTypeObject DispatcherType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "multiact._dispatcher.Dispatcher",
    .tp_doc = "Dispatcher(function, learn, table, calls={}): function(x, ...), through learned "
              "tables of direct kernels for calls with x alone or one parameter.",
    .tp_basicsize = sizeof(Dispatcher),
    /* No Py_TPFLAGS_METHOD_DESCRIPTOR and no tp_descr_get: like a builtin, a Dispatcher
       stored on a class is not bound to its instances. */
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_new = dispatcher_new,
    .tp_call = PyVectorcall_Call,
    .tp_vectorcall_offset = offsetof(Dispatcher, vectorcall),
    .tp_dictoffset = offsetof(Dispatcher, dict),
    .tp_weaklistoffset = offsetof(Dispatcher, weakrefs),
    .tp_traverse = (traverseproc)dispatcher_traverse,
    .tp_clear = (inquiry)dispatcher_clear,
    .tp_dealloc = (destructor)dispatcher_dealloc,
    .tp_repr = (reprfunc)dispatcher_repr,
    .tp_getset = dispatcher_getset,
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "multiact._dispatcher",
    .m_doc = "The public functions' first step, in C (see multiact/_dispatch.py).",
    .m_size = -1,
};

PyMODINIT_FUNC
PyInit__dispatcher(void)
{
    if (PyType_Ready(&DispatcherType) < 0) {
        return NULL;
    }
    dtype_name = PyUnicode_InternFromString("dtype");
    if (dtype_name == NULL) {
        return NULL;
    }
    PyObject *m = PyModule_Create(&module);
    if (m == NULL) {
        return NULL;
    }
    if (PyModule_AddObjectRef(m, "Dispatcher", (PyObject *)&DispatcherType) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
